/* traces/tline: see tline.h. */
#include "traces/tline.h"

#include <string.h>

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

static char *trim(char *s)
{
    while (blank(*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && blank(s[n - 1]))
        s[--n] = 0;
    return s;
}

int trace_split_csv(char *s, char **fields, int max)
{
    int n = 0;
    for (;;) {
        char *comma = strchr(s, ',');
        if (comma)
            *comma = 0;
        if (n == max)
            return max + 1;
        fields[n++] = trim(s);
        if (!comma)
            return n;
        s = comma + 1;
    }
}

int trace_split_ws(char *s, char **fields, int max)
{
    int n = 0;
    for (;;) {
        while (blank(*s))
            s++;
        if (!*s)
            return n;
        if (n == max)
            return max + 1;
        fields[n++] = s;
        while (*s && !blank(*s))
            s++;
        if (!*s)
            return n;
        *s++ = 0;
    }
}

trace_num_t trace_parse_u64(const char *s, uint64_t *out)
{
    if (!*s)
        return TRACE_NUM_BAD;
    uint64_t v = 0;
    bool range = false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return TRACE_NUM_BAD;
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            range = true;
        else
            v = v * 10 + d;
    }
    if (range)
        return TRACE_NUM_RANGE;
    *out = v;
    return TRACE_NUM_OK;
}

bool trace_streq_ci(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

bool trace_blank(const char *s)
{
    while (blank(*s))
        s++;
    return *s == 0;
}
