/* traces/tline: field splitting and strict number parsing for the line
 * formats (block traces, KVS request traces).
 *
 * Contract.  The splitters cut a line in place (writing NULs) and never
 * allocate.  Numbers are unsigned decimal integers only: no sign, no
 * spaces inside, no hex, no fraction, no exponent; a value that does not
 * fit is reported as such, never wrapped or clamped. */
#ifndef PARASIM_TRACES_TLINE_H
#define PARASIM_TRACES_TLINE_H

#include <stdbool.h>
#include <stdint.h>

/* Split at commas; each field has its surrounding blanks removed.  Returns
 * the number of fields, or max + 1 when there are more than max (fields
 * then holds the first max). */
int trace_split_csv(char *s, char **fields, int max);

/* Split at runs of blanks (space, tab); leading/trailing blanks ignored.
 * Same return convention. */
int trace_split_ws(char *s, char **fields, int max);

typedef enum trace_num {
    TRACE_NUM_OK = 0,
    TRACE_NUM_BAD,   /* empty or not all decimal digits */
    TRACE_NUM_RANGE, /* more than UINT64_MAX */
} trace_num_t;

trace_num_t trace_parse_u64(const char *s, uint64_t *out);

/* ASCII case-insensitive equality. */
bool trace_streq_ci(const char *a, const char *b);

/* true when s is a blank line (only spaces and tabs, or empty). */
bool trace_blank(const char *s);

#endif
