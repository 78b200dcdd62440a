/* sim/json: cJSON helpers (see json.h). */
#include "sim/json.h"

#include <cjson/cJSON.h>
#include <string.h>

cJSON *sim_json_at(const cJSON *root, const char *path)
{
    const cJSON *o = root;
    while (o && *path) {
        size_t n = strcspn(path, ".");
        const cJSON *c = cJSON_IsObject(o) ? o->child : NULL;
        while (c && !(c->string && strlen(c->string) == n && !strncmp(c->string, path, n)))
            c = c->next;
        o = c;
        path += n + (path[n] == '.');
    }
    return (cJSON *)o;
}
