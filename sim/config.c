/* sim/config: load, validate and complete an experiment config (config.h).
 *
 * Order of work: read the file; parse (malformed JSON -> line:column);
 * apply --set overrides and --seed; walk the tree against the schema
 * (unknown keys with a suggestion, duplicates, types, ranges); fill
 * defaults; read the typed struct.  The first error wins and is reported
 * as one line; nothing is half-applied because the caller gets either a
 * complete config or an error. */
#include "sim/config.h"
#include "sim/config_int.h"
#include "sim/json.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_BYTES (16u << 20)


/* ------------------------------------------------------------ errors */


/* prefix.name (or name at the top level); over-long paths are cut, which
 * only shortens an error message: schema paths are far shorter. */
static void join(char out[CFG_PATH_MAX], const char *prefix, const char *name)
{
    int n = snprintf(out, CFG_PATH_MAX, "%s%s%s", prefix, *prefix ? "." : "", name);
    if (n >= CFG_PATH_MAX)
        strcpy(out + CFG_PATH_MAX - 4, "...");
}

/* Did `path` (or a parent of it) come from a --set? */
static const char *set_origin(const cfg_loader_t *ld, const char *path)
{
    for (size_t i = 0; i < ld->nsets; i++) {
        const char *a = ld->sets[i].assignment;
        size_t n = strcspn(a, "=");
        if (strncmp(a, path, n) == 0 && (path[n] == '\0' || path[n] == '.'))
            return a;
    }
    return NULL;
}

int cfg_fail(cfg_loader_t *ld, const char *path, const char *fmt, ...)
{
    char msg[CONFIG_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *set = path ? set_origin(ld, path) : NULL;
    int n;
    if (set)
        n = snprintf(ld->err, CONFIG_ERR_MAX, "--set %s: %s: %s", set, path, msg);
    else if (path)
        n = snprintf(ld->err, CONFIG_ERR_MAX, "%s: %s: %s", ld->file, path, msg);
    else
        n = snprintf(ld->err, CONFIG_ERR_MAX, "%s: %s", ld->file, msg);
    if (n >= CONFIG_ERR_MAX) /* keep the line whole-looking when cut */
        strcpy(ld->err + CONFIG_ERR_MAX - 4, "...");
    return -1;
}

/* "the string \"x\"", "the number 3", "an array"... for error messages. */
static const char *describe(const cJSON *v, char *buf, size_t n)
{
    if (!v)
        snprintf(buf, n, "nothing");
    else if (cJSON_IsString(v))
        snprintf(buf, n, "the string \"%.40s%s\"", v->valuestring,
                 strlen(v->valuestring) > 40 ? "..." : "");
    else if (cJSON_IsNumber(v))
        snprintf(buf, n, "the number %.16g", v->valuedouble);
    else if (cJSON_IsBool(v))
        snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
    else if (cJSON_IsNull(v))
        snprintf(buf, n, "null");
    else if (cJSON_IsArray(v))
        snprintf(buf, n, "an array");
    else
        snprintf(buf, n, "an object");
    return buf;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return SIZE_MAX; /* too long to be a typo of a schema key */
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static const char *last_component(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot ? dot + 1 : path;
}

/* Closest candidate to `name` within a few edits, or NULL.  `cands` is
 * NULL-terminated. */
static const char *closest(const char *name, const char *const *cands)
{
    const char *best = NULL;
    size_t bestd = (size_t)-1, limit = strlen(name) / 3 + 2;
    for (size_t i = 0; cands[i]; i++) {
        size_t d = edit_distance(name, last_component(cands[i]));
        if (d < bestd) {
            bestd = d;
            best = cands[i];
        }
    }
    return bestd <= limit ? best : NULL;
}

/* -------------------------------------------------------- file + parse */

static char *read_file(cfg_loader_t *ld, const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(ld->err, CONFIG_ERR_MAX, "%s: cannot open config: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(CONFIG_MAX_BYTES + 1);
    size_t n = buf ? fread(buf, 1, CONFIG_MAX_BYTES + 1, f) : 0;
    int bad = !buf || ferror(f), saved = buf ? errno : ENOMEM;
    fclose(f);
    if (bad || n > CONFIG_MAX_BYTES) {
        snprintf(ld->err, CONFIG_ERR_MAX, "%s: %s%s", path,
                 bad ? "cannot read config: " : "config larger than 16 MiB",
                 bad ? strerror(saved) : "");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n)) {
        snprintf(ld->err, CONFIG_ERR_MAX, "%s: not a text file (contains NUL bytes)", path);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

/* Line and column (1-based) of position `at` in text. */
static void line_col(const char *text, const char *at, unsigned *line, unsigned *col)
{
    *line = 1;
    *col = 1;
    for (const char *p = text; p < at; p++) {
        if (*p == '\n') {
            ++*line;
            *col = 1;
        } else {
            ++*col;
        }
    }
}

/* A \u0000 escape would end a cJSON string early and silently change a
 * key or value ("seed\u0000x" read as "seed"): find one, if any.  An
 * escape is real when an odd number of backslashes precedes the 'u'. */
static const char *find_nul_escape(const char *text)
{
    for (const char *p = strstr(text, "u0000"); p; p = strstr(p + 1, "u0000")) {
        size_t bs = 0;
        while (p - bs > text && p[-1 - (ptrdiff_t)bs] == '\\')
            bs++;
        if (bs % 2)
            return p - 1;
    }
    return NULL;
}

/* The comma of a ",}" or ",]" outside strings, or NULL: the commonest
 * hand-editing mistake, which cJSON reports only vaguely. */
static const char *find_trailing_comma(const char *text)
{
    const char *comma = NULL;
    bool in_string = false;
    for (const char *p = text; *p; p++) {
        if (in_string) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                in_string = false;
        } else if (*p == '"') {
            in_string = true;
            comma = NULL;
        } else if (*p == ',') {
            comma = p;
        } else if ((*p == '}' || *p == ']') && comma) {
            return comma;
        } else if (!strchr(" \t\r\n", *p)) {
            comma = NULL;
        }
    }
    return NULL;
}

static cJSON *parse_json(cfg_loader_t *ld, const char *text, size_t len)
{
    unsigned line, col;
    const char *nul = find_nul_escape(text);
    if (nul) {
        line_col(text, nul, &line, &col);
        snprintf(ld->err, CONFIG_ERR_MAX, "%s:%u:%u: \\u0000 (NUL) is not allowed in a config",
                 ld->file, line, col);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(text, &end, 1);
    if (root)
        return root;
    const char *comma = find_trailing_comma(text);
    if (comma) {
        line_col(text, comma, &line, &col);
        snprintf(ld->err, CONFIG_ERR_MAX, "%s:%u:%u: malformed JSON: trailing comma", ld->file,
                 line, col);
        return NULL;
    }
    if (!end || end < text || end > text + len)
        end = text + len;
    while (end < text + len && strchr(" \t\r\n", *end)) /* point at the next token */
        end++;
    line_col(text, end, &line, &col);
    char near[24];
    size_t k = 0;
    for (const char *p = end; *p && *p != '\n' && *p != '\r' && k < sizeof near - 1; p++)
        near[k++] = *p;
    near[k] = '\0';
    if (end == text + len)
        snprintf(ld->err, CONFIG_ERR_MAX, "%s:%u:%u: malformed JSON: unexpected end of input",
                 ld->file, line, col);
    else
        snprintf(ld->err, CONFIG_ERR_MAX, "%s:%u:%u: malformed JSON near '%s'", ld->file, line,
                 col, near);
    return NULL;
}

/* ---------------------------------------------------------- --set */

cJSON *cfg_child(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* ---------------------------------------------------------- validation */

static int check_number(cfg_loader_t *ld, const char *path, const cJSON *v, int integral,
                        double min, double max, int min_open)
{
    char what[96], found[96];
    if (integral)
        snprintf(what, sizeof what, "an integer in [%.16g, %.16g]", min, max);
    else
        snprintf(what, sizeof what, "a number in %c%.16g, %.16g]", min_open ? '(' : '[', min, max);
    if (!cJSON_IsNumber(v))
        return cfg_fail(ld, path, "expected %s, found %s", what, describe(v, found, sizeof found));
    double x = v->valuedouble;
    int bad = !isfinite(x) || x > max || (min_open ? x <= min : x < min) ||
              (integral && x != floor(x));
    if (bad)
        return cfg_fail(ld, path, "expected %s, found %s", what, describe(v, found, sizeof found));
    return 0;
}

static int in_choices(const char *s, const char *choices)
{
    size_t n = strlen(s);
    for (const char *c = choices; *c;) {
        size_t m = strcspn(c, "|");
        if (m == n && strncmp(c, s, n) == 0)
            return 1;
        c += m + (c[m] == '|');
    }
    return 0;
}

static int check_choice(cfg_loader_t *ld, const char *path, const cJSON *v, const char *choices)
{
    char found[96];
    if (!cJSON_IsString(v) || !in_choices(v->valuestring, choices))
        return cfg_fail(ld, path, "expected one of %s, found %s", choices,
                    describe(v, found, sizeof found));
    return 0;
}

/* Is m's key used by an earlier member of obj?  Called once m's key is
 * known to the schema, so the scan is bounded by the schema's size, not
 * the object's (a file of a million "seed" keys fails on the second). */
static int duplicate(cfg_loader_t *ld, const char *path, const cJSON *obj, const cJSON *m)
{
    for (const cJSON *a = obj->child; a != m; a = a->next)
        if (strcmp(a->string, m->string) == 0)
            return cfg_fail(ld, path, "duplicate key");
    return 0;
}

int cfg_dist_kind(const char *name)
{
    for (int k = 0; k < DIST_KIND_COUNT; k++)
        if (strcmp(dist_kind_name((dist_kind_t)k), name) == 0)
            return k;
    return -1;
}

static int validate_dist(cfg_loader_t *ld, const char *path, const cJSON *obj)
{
    char p[CFG_PATH_MAX], found[96];
    if (!cJSON_IsObject(obj))
        return cfg_fail(ld, path, "expected a distribution object such as "
                    "{\"dist\": \"exponential\", \"mean_ns\": 1000}, found %s",
                    describe(obj, found, sizeof found));
    join(p, path, "dist");
    const cJSON *d = cfg_child(obj, "dist");
    if (!d)
        return cfg_fail(ld, p, "required: one of %s", cfg_time_dists);
    if (check_choice(ld, p, d, cfg_time_dists))
        return -1;
    unsigned kind = 1u << cfg_dist_kind(d->valuestring);
    for (const cJSON *m = obj->child; m; m = m->next) {
        join(p, path, m->string);
        const cfg_dist_param_t *param = NULL;
        for (size_t i = 0; i < cfg_ndist_params; i++)
            if (strcmp(cfg_dist_params[i].name, m->string) == 0)
                param = &cfg_dist_params[i];
        if (!param || !(param->kinds & kind)) {
            char takes[160] = "";
            for (size_t i = 1; i < cfg_ndist_params; i++)
                if (cfg_dist_params[i].kinds & kind)
                    snprintf(takes + strlen(takes), sizeof takes - strlen(takes), "%s%s",
                             *takes ? ", " : "", cfg_dist_params[i].name);
            return cfg_fail(ld, p, "not a parameter of dist \"%s\" (it takes: %s)", d->valuestring,
                        takes);
        }
        if (duplicate(ld, p, obj, m))
            return -1;
        if (param == &cfg_dist_params[0])
            continue;
        if (strcmp(param->name, "file") == 0) {
            if (!cJSON_IsString(m) || !*m->valuestring)
                return cfg_fail(ld, p, "expected a file name, found %s",
                            describe(m, found, sizeof found));
        } else if (check_number(ld, p, m, 0, param->min, param->max, param->min_open)) {
            return -1;
        }
    }
    for (size_t i = 1; i < cfg_ndist_params; i++)
        if ((cfg_dist_params[i].kinds & kind) && !cfg_child(obj, cfg_dist_params[i].name)) {
            join(p, path, cfg_dist_params[i].name);
            return cfg_fail(ld, p, "required for dist \"%s\": %s", d->valuestring,
                        cfg_dist_params[i].help);
        }
    return 0;
}

static int validate_costs(cfg_loader_t *ld, const char *path, const cJSON *obj)
{
    char p[CFG_PATH_MAX], found[96];
    if (!cJSON_IsObject(obj))
        return cfg_fail(ld, path, "expected an object of cost name -> ns, found %s",
                    describe(obj, found, sizeof found));
    const char *names[COST_COUNT + 1];
    for (int i = 0; i < COST_COUNT; i++)
        names[i] = cost_desc[i].name;
    names[COST_COUNT] = NULL;
    for (const cJSON *m = obj->child; m; m = m->next) {
        join(p, path, m->string);
        if (cost_lookup(m->string) < 0) {
            const char *s = closest(m->string, names);
            return cfg_fail(ld, p, "unknown cost name%s%s%s (list: parasim config)",
                        s ? "; did you mean \"" : "", s ? s : "", s ? "\"?" : "");
        }
        if (duplicate(ld, p, obj, m))
            return -1;
        if (check_number(ld, p, m, 0, 0, 1e12, 0))
            return -1;
    }
    return 0;
}

static int validate_object(cfg_loader_t *ld, const char *prefix, const cJSON *obj);

static int unknown_key(cfg_loader_t *ld, const char *prefix, const char *path, const char *name)
{
    const char *siblings[64], *elsewhere = NULL;
    char norm[CFG_PATH_MAX];
    size_t n = 0, k = 0;
    for (const char *p = prefix; *p && k + 1 < sizeof norm; p++) { /* "a[3]" -> "a[]" */
        norm[k++] = *p;
        if (*p == '[')
            while (p[1] >= '0' && p[1] <= '9')
                p++;
    }
    norm[k] = '\0';
    prefix = norm;
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < cfg_nkeys && n < 63; i++) {
        const char *kp = cfg_keys[i].path;
        int is_child = plen ? (strncmp(kp, prefix, plen) == 0 && kp[plen] == '.' &&
                               !strchr(kp + plen + 1, '.'))
                            : !strchr(kp, '.');
        if (is_child)
            siblings[n++] = kp;
        else if (strcmp(last_component(kp), name) == 0)
            elsewhere = kp;
    }
    siblings[n] = NULL;
    /* a key of exactly this name elsewhere is the likeliest intent */
    const char *s = elsewhere ? elsewhere : closest(name, siblings);
    if (s)
        return cfg_fail(ld, path, "unknown key; did you mean \"%s\"?", s);
    return cfg_fail(ld, path, "unknown key (known keys: parasim config)");
}

#define CFG_ARRAY_MAX 256

static int validate_array(cfg_loader_t *ld, const char *path, const cJSON *v)
{
    char found[96], elem[CFG_PATH_MAX + 16];
    if (!cJSON_IsArray(v))
        return cfg_fail(ld, path, "expected an array of objects, found %s", describe(v, found, sizeof found));
    int n = cJSON_GetArraySize(v);
    if (n < 1 || n > CFG_ARRAY_MAX)
        return cfg_fail(ld, path, "expected 1 to %d entries, found %d", CFG_ARRAY_MAX, n);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        snprintf(elem, sizeof elem, "%s[%d]", path, i);
        if (!cJSON_IsObject(e))
            return cfg_fail(ld, elem, "expected an object, found %s", describe(e, found, sizeof found));
        if (validate_object(ld, elem, e))
            return -1;
    }
    return 0;
}

static int validate_params(cfg_loader_t *ld, const char *path, const cJSON *v)
{
    char found[96], p[CFG_PATH_MAX];
    if (!cJSON_IsObject(v))
        return cfg_fail(ld, path, "expected an object, found %s", describe(v, found, sizeof found));
    for (const cJSON *m = v->child; m; m = m->next) {
        join(p, path, m->string);
        if (duplicate(ld, p, v, m))
            return -1;
        if (!cJSON_IsString(m) && !cJSON_IsNumber(m))
            return cfg_fail(ld, p, "expected a string or a number, found %s",
                        describe(m, found, sizeof found));
    }
    return 0;
}

static int validate_value(cfg_loader_t *ld, const cfg_key_t *k, const char *path, const cJSON *v)
{
    char found[96];
    switch (k->type) {
    case CFG_OBJECT:
        if (!cJSON_IsObject(v))
            return cfg_fail(ld, path, "expected an object, found %s", describe(v, found, sizeof found));
        return validate_object(ld, path, v);
    case CFG_INT:
        return check_number(ld, path, v, 1, k->min, k->max, k->min_open);
    case CFG_NUMBER:
        return check_number(ld, path, v, 0, k->min, k->max, k->min_open);
    case CFG_ENUM:
        return check_choice(ld, path, v, k->choices);
    case CFG_PROFILE: {
        char choices[128] = "";
        for (const char *const *pr = cost_profiles(); *pr; pr++)
            snprintf(choices + strlen(choices), sizeof choices - strlen(choices), "%s%s",
                     *choices ? "|" : "", *pr);
        return check_choice(ld, path, v, choices);
    }
    case CFG_COSTS:
        return validate_costs(ld, path, v);
    case CFG_DIST:
        return validate_dist(ld, path, v);
    case CFG_BOOL:
        if (!cJSON_IsBool(v))
            return cfg_fail(ld, path, "expected true or false, found %s", describe(v, found, sizeof found));
        return 0;
    case CFG_ARRAY:
        return validate_array(ld, path, v);
    case CFG_PARAMS:
        return validate_params(ld, path, v);
    case CFG_STRING:
        if (!cJSON_IsString(v) || !v->valuestring[0])
            return cfg_fail(ld, path, "expected a non-empty string, found %s", describe(v, found, sizeof found));
        return 0;
    }
    return cfg_fail(ld, path, "unhandled schema type");
}

static int validate_object(cfg_loader_t *ld, const char *prefix, const cJSON *obj)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        char path[CFG_PATH_MAX];
        join(path, prefix, m->string);
        const cfg_key_t *k = cfg_key_find(path);
        if (!k)
            return unknown_key(ld, prefix, path, m->string);
        if (duplicate(ld, path, obj, m) || validate_value(ld, k, path, m))
            return -1;
    }
    return 0;
}

/* ---------------------------------------------------------- defaults */

static cJSON *get(cJSON *root, const char *path)
{
    return sim_json_at(root, path);
}

/* The object that holds `path`'s last component, or NULL. */
static cJSON *parent_of(cJSON *root, const char *path)
{
    char buf[CFG_PATH_MAX];
    const char *dot = strrchr(path, '.');
    if (!dot)
        return root;
    snprintf(buf, sizeof buf, "%.*s", (int)(dot - path), path);
    return get(root, buf);
}

/* Defaults of an array's element keys ("a[].key"), in every element;
 * a key without a default is required. */
static int fill_element_defaults(cfg_loader_t *ld, cJSON *root, const cfg_key_t *k)
{
    char arr[CFG_PATH_MAX], p[2 * CFG_PATH_MAX + 16];
    const char *br = strstr(k->path, "[].");
    snprintf(arr, sizeof arr, "%.*s", (int)(br - k->path), k->path);
    const char *name = br + 3;
    cJSON *a = get(root, arr);
    int i = 0;
    for (cJSON *e = a ? a->child : NULL; e; e = e->next, i++) {
        if (cfg_child(e, name))
            continue;
        snprintf(p, sizeof p, "%s[%d].%s", arr, i, name);
        if (!k->def)
            return cfg_fail(ld, p, "required: %s", k->help);
        cJSON *v = cJSON_Parse(k->def);
        if (!v)
            return cfg_fail(ld, p, "out of memory");
        cJSON_AddItemToObject(e, name, v);
    }
    return 0;
}

static int fill_defaults(cfg_loader_t *ld, cJSON *root)
{
    for (size_t i = 0; i < cfg_nkeys; i++) {
        const cfg_key_t *k = &cfg_keys[i];
        if (strstr(k->path, "[].")) {
            if (fill_element_defaults(ld, root, k))
                return -1;
            continue;
        }
        cJSON *parent = parent_of(root, k->path);
        if (!k->def || !parent || cfg_child(parent, last_component(k->path)))
            continue;
        cJSON *v = cJSON_Parse(k->def);
        if (!v)
            return cfg_fail(ld, k->path, "out of memory");
        cJSON_AddItemToObject(parent, last_component(k->path), v);
    }
    cJSON *req = get(root, "requests"), *dur = get(root, "duration_us");
    if (req && dur)
        return cfg_fail(ld, "duration_us", "give either requests or duration_us, not both");
    if (!req && !dur)
        cJSON_AddNumberToObject(root, "requests", 1000000);
    return 0;
}

int config_load(sim_config_t *cfg, const char *path, const config_override_t *sets, size_t nsets,
                int has_seed, uint64_t seed_override, char err[CONFIG_ERR_MAX])
{
    cfg_loader_t ld = {.file = path, .err = err, .sets = sets, .nsets = nsets};
    size_t len = 0;
    char found[96];
    memset(cfg, 0, sizeof *cfg);
    err[0] = '\0';
    char *text = read_file(&ld, path, &len);
    if (!text)
        return -1;
    cJSON *root = parse_json(&ld, text, len);
    free(text);
    if (!root)
        return -1;
    cfg->json = root;
    cfg->path = strdup(path);
    if (!cJSON_IsObject(root)) {
        cfg_fail(&ld, NULL, "expected a JSON object at the top level, found %s",
             describe(root, found, sizeof found));
        goto err;
    }
    for (size_t i = 0; i < nsets; i++)
        if (cfg_apply_set(&ld, root, sets[i].assignment))
            goto err;
    if (has_seed) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "seed");
        cJSON_AddNumberToObject(root, "seed", (double)seed_override);
    }
    if (validate_object(&ld, "", root) || fill_defaults(&ld, root) || cfg_build(&ld, cfg))
        goto err;
    return 0;
err:
    config_free(cfg);
    return -1;
}

void config_free(sim_config_t *cfg)
{
    dist_free(&cfg->service);
    cJSON_Delete(cfg->json);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}
