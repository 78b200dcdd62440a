/* traces/blk_fio: fio iolog versions 2 and 3 (format and time rules in
 * traces/blktrace.h; fio's own reader is read_iolog() in fio's iolog.c,
 * which parses v2 lines with "%256s %256s %llu %u" and v3 lines with
 * "%llu %256s %256s %llu %u": LENGTH is an unsigned 32-bit count).
 *
 * File names map to device indices in order of first appearance, through
 * a small open-addressing hash table (FNV-1a), so a log naming many files
 * stays linear. */
#include "traces/blk_int.h"

#include <stdlib.h>
#include <string.h>

#define FIO_NAME_MAX 256u         /* fio's %256s */
#define FIO_FILES_MAX (1u << 20)  /* distinct files accepted */
#define US_PS 1000000u            /* v3 timestamps are µs */
#define MS_PS 1000000000u         /* v2 wait times are ms */

struct blk_names {
    char **name;     /* by index */
    uint32_t n;
    uint32_t *slot;  /* hash slots: index + 1, 0 = empty */
    uint32_t nslots; /* power of two, kept > 2 n */
};

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    return h;
}

static int grow(blk_names_t *t)
{
    uint32_t ns = t->nslots ? t->nslots * 2 : 64;
    uint32_t *slot = calloc(ns, sizeof *slot);
    char **name = realloc(t->name, (size_t)ns / 2 * sizeof *name);
    if (!slot || !name) {
        free(slot);
        if (name)
            t->name = name;
        return -1;
    }
    t->name = name;
    for (uint32_t i = 0; i < t->n; i++) {
        uint32_t h = fnv1a(name[i]) & (ns - 1);
        while (slot[h])
            h = (h + 1) & (ns - 1);
        slot[h] = i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslots = ns;
    return 0;
}

/* The index of name, added if new; -1 with the error formatted. */
static int64_t file_index(blk_loader_t *L, const char *name)
{
    if (strlen(name) > FIO_NAME_MAX)
        return blk_err(L, "file name longer than %u bytes", FIO_NAME_MAX);
    if (!L->names && !(L->names = calloc(1, sizeof *L->names)))
        return blk_err(L, "out of memory");
    blk_names_t *t = L->names;
    if (t->nslots) {
        uint32_t h = fnv1a(name) & (t->nslots - 1);
        for (; t->slot[h]; h = (h + 1) & (t->nslots - 1))
            if (strcmp(t->name[t->slot[h] - 1], name) == 0)
                return t->slot[h] - 1;
    }
    if (t->n == FIO_FILES_MAX)
        return blk_err(L, "more than %u distinct files", FIO_FILES_MAX);
    if ((uint64_t)(t->n + 1) * 2 >= t->nslots && grow(t) < 0)
        return blk_err(L, "out of memory");
    char *copy = strdup(name);
    if (!copy)
        return blk_err(L, "out of memory");
    uint32_t h = fnv1a(name) & (t->nslots - 1);
    while (t->slot[h])
        h = (h + 1) & (t->nslots - 1);
    t->name[t->n] = copy;
    t->slot[h] = ++t->n;
    return t->n - 1;
}

void blk_fio_done(blk_loader_t *L)
{
    blk_names_t *t = L->names;
    if (!t)
        return;
    for (uint32_t i = 0; i < t->n; i++)
        free(t->name[i]);
    free(t->name);
    free(t->slot);
    free(t);
    L->names = NULL;
}

static int file_action(blk_loader_t *L, const char *file, const char *act)
{
    if (strcmp(act, "add") && strcmp(act, "open") && strcmp(act, "close"))
        return blk_err(L, "unknown file action '%.40s' (add, open, close; I/O actions need "
                          "OFFSET LENGTH)", act);
    L->out->skipped++;
    return file_index(L, file) < 0 ? -1 : 0;
}

static int io_action(blk_loader_t *L, const char *file, const char *act, const char *off_s,
                     const char *len_s, uint64_t t_ps)
{
    static const struct { const char *name; trace_blk_op_t op; } acts[] = {
        {"read", TRACE_BLK_READ},   {"write", TRACE_BLK_WRITE}, {"sync", TRACE_BLK_FLUSH},
        {"datasync", TRACE_BLK_FLUSH}, {"trim", TRACE_BLK_TRIM},
    };
    uint64_t off, len;
    if (blk_num(L, off_s, "offset", UINT64_MAX, &off) ||
        blk_num(L, len_s, "length", UINT32_MAX, &len))
        return -1;
    if (strcmp(act, "wait") == 0) {
        L->out->skipped++;
        if (L->fio_version == 2) { /* sleep until `off` ms after the start */
            if (off > UINT64_MAX / MS_PS)
                return blk_err(L, "wait time %llu ms out of range", (unsigned long long)off);
            if (off * MS_PS > L->fio_now_ps)
                L->fio_now_ps = off * MS_PS;
        }
        return 0;
    }
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(act, acts[i].name) == 0) {
            int64_t dev = file_index(L, file);
            return dev < 0 ? -1 : blk_push(L, t_ps, off, len, acts[i].op, (uint64_t)dev);
        }
    return blk_err(L, "unknown action '%.40s' (read, write, sync, datasync, trim, wait)", act);
}

int blk_fio_line(blk_loader_t *L, char *s)
{
    char *f[5];
    int v3 = L->fio_version == 3;
    int n = trace_split_ws(s, f, 4 + v3);
    if (n != 2 + v3 && n != 4 + v3)
        return blk_err(L, v3 ? "expected 'TIME FILE ACTION' or 'TIME FILE ACTION OFFSET LENGTH'"
                             : "expected 'FILE ACTION' or 'FILE ACTION OFFSET LENGTH'");
    uint64_t t_ps = L->fio_now_ps;
    if (v3) {
        uint64_t us;
        bool io = n == 5 && strcmp(f[2], "wait") != 0;
        if (blk_num(L, f[0], "timestamp", UINT64_MAX, &us) || blk_time(L, us, US_PS, io, &t_ps))
            return -1;
    }
    char **a = f + v3;
    if (n == 2 + v3)
        return file_action(L, a[0], a[1]);
    return io_action(L, a[0], a[1], a[2], a[3], t_ps);
}
