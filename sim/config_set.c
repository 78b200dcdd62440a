/* sim/config_set.c: `--set path=value` overrides (config_int.h): a dotted
 * path into the config tree, objects created on the way, array entries
 * named by index ("processes[0].params.steer=0": the entry must exist),
 * and below an object of free names (costs.override) the rest of the path
 * as one key (cost names hold dots).  VALUE is JSON when all of it parses
 * as JSON, else a string. */
#include "sim/config.h"
#include "sim/config_int.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "name[12]" -> "name", *idx = 12 (-1 without brackets); -1 when the
 * brackets are malformed.  restore_index puts the text back. */
static int split_index(char *p, int *idx)
{
    char *br = strchr(p, '[');
    *idx = -1;
    if (!br)
        return strchr(p, ']') ? -1 : 0;
    char *end = NULL;
    long v = strtol(br + 1, &end, 10);
    if (br == p || end == br + 1 || *end != ']' || end[1] || v < 0 || v > 1 << 20)
        return -1;
    *br = '\0';
    *idx = (int)v;
    return 0;
}

static void restore_index(char *p, int idx)
{
    (void)idx;
    p[strlen(p)] = '[';
}

int cfg_apply_set(cfg_loader_t *ld, cJSON *root, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: expected path=value", assignment);
        return -1;
    }
    char path[CFG_PATH_MAX];
    size_t plen = (size_t)(eq - assignment);
    if (plen >= sizeof path) {
        snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: path too long", assignment);
        return -1;
    }
    memcpy(path, assignment, plen);
    path[plen] = '\0';
    /* all of VALUE must be JSON ("16cores" is a string, not 16) */
    cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, 1);
    if (!value)
        value = cJSON_CreateString(eq + 1);
    if (!value) {
        snprintf(ld->err, CONFIG_ERR_MAX, "out of memory");
        return -1;
    }
    cJSON *obj = root;
    for (char *p = path;;) {
        /* below an object of free names (cost names hold dots), the rest
         * of the path is one key; path[0..p-1] is the parent's path */
        const cfg_key_t *parent = NULL;
        if (p > path) {
            p[-1] = '\0';
            parent = cfg_key_find(path);
            p[-1] = '.';
        }
        char *dot = parent && parent->type == CFG_COSTS ? NULL : strchr(p, '.');
        if (dot)
            *dot = '\0';
        if (!*p) {
            cJSON_Delete(value);
            snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: empty component in the path", assignment);
            return -1;
        }
        int idx = -1;
        if (split_index(p, &idx) < 0) {
            cJSON_Delete(value);
            snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: '%s': expected name[index]", assignment, p);
            return -1;
        }
        if (idx >= 0) {
            cJSON *arr = cfg_child(obj, p), *elem = cJSON_GetArrayItem(arr, idx);
            if (!cJSON_IsArray(arr) || !elem) {
                cJSON_Delete(value);
                snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: %s has no entry [%d] (%d entries)",
                         assignment, p, idx, cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0);
                return -1;
            }
            restore_index(p, idx);
            if (!dot)
                return cJSON_ReplaceItemInArray(arr, idx, value) ? 0 : -1;
            obj = elem;
            if (!cJSON_IsObject(obj)) {
                cJSON_Delete(value);
                snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: '%s' is not an object", assignment, p);
                return -1;
            }
            *dot = '.';
            p = dot + 1;
            continue;
        }
        if (!dot) {
            if (cfg_child(obj, p))
                cJSON_ReplaceItemInObjectCaseSensitive(obj, p, value);
            else
                cJSON_AddItemToObject(obj, p, value);
            return 0;
        }
        cJSON *sub = cfg_child(obj, p);
        if (!sub)
            sub = cJSON_AddObjectToObject(obj, p);
        if (!cJSON_IsObject(sub)) {
            cJSON_Delete(value);
            snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: '%s' is not an object", assignment, p);
            return -1;
        }
        obj = sub;
        *dot = '.';
        p = dot + 1;
    }
}

