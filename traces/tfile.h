/* traces/tfile: a trace file read through zlib, with the offset tracked.
 *
 * Contract.  trace_file_open() opens any file with gzopen(): a gzip file is
 * recognised by its magic (1f 8b), never by its name, and decompressed; any
 * other file is read as is (zlib's transparent mode).  Every offset here is
 * a byte offset in the UNCOMPRESSED stream, so an error in a .gz trace names
 * the same offset as in the plain file.
 *
 * A damaged gzip stream is an error, never a short file: a corrupt deflate
 * block or a bad CRC (zlib's Z_DATA_ERROR), and a stream that ends before
 * its trailer (zlib reports Z_BUF_ERROR "unexpected end of file" from
 * gzerror() after gzread() has delivered what it could).  The bytes that
 * came before the damage are delivered; the read that would need more
 * returns -1 and trace_file_error() says why.
 *
 * Reads go through one buffer of TRACE_FILE_BUF bytes (records and lines
 * are served from it without a copy).  Lines are at most TRACE_LINE_MAX
 * bytes (without the line end); a longer line, or a NUL byte inside a line
 * (a binary file given to a text reader), is an error.
 *
 * Errors of every trace reader use one format, produced by
 * trace_file_err():  "FILE: record N (offset O): what"  with N 1-based (a
 * packet record, a pcapng block, or a line number for line formats) and O
 * the uncompressed offset of the record's first byte; N = 0 stands for the
 * file header: "FILE: header (offset O): what".  Opening errors read
 * "PATH: cannot open: <strerror>". */
#ifndef PARASIM_TRACES_TFILE_H
#define PARASIM_TRACES_TFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TRACE_FILE_BUF (256u * 1024u)  /* read buffer, bytes */
#define TRACE_LINE_MAX (64u * 1024u)   /* longest accepted line, bytes */

typedef struct trace_file trace_file_t;

/* NULL and "PATH: cannot open: strerror" (or "cannot read") in err. */
trace_file_t *trace_file_open(const char *path, char *err, size_t errlen);
void trace_file_close(trace_file_t *f);

/* Up to n bytes into buf: n, fewer only at the end of the stream, -1 on an
 * error (trace_file_error()).  n must be at most INT_MAX. */
int trace_file_read(trace_file_t *f, void *buf, size_t n);

/* Skip n bytes: 0 done, 1 the stream ended first (the offset is then at
 * its end), -1 error. */
int trace_file_skip(trace_file_t *f, uint64_t n);

/* The next line, without its "\n" or "\r\n", NUL-terminated, in the file's
 * own buffer (valid until the next call on f).  Returns its length, or -1
 * at the end of the stream (trace_file_error() NULL) or on an error
 * (trace_file_error() set).  A last line without "\n" is a line. */
ssize_t trace_file_line(trace_file_t *f, char **line);

/* Offset of the next byte to be consumed (uncompressed stream). */
uint64_t trace_file_offset(const trace_file_t *f);
/* Line number (1-based) and offset of the line last returned. */
uint64_t trace_file_line_no(const trace_file_t *f);
uint64_t trace_file_line_offset(const trace_file_t *f);

const char *trace_file_path(const trace_file_t *f);
/* true when the file is gzip-compressed (zlib's gzdirect() is 0). */
bool trace_file_gzipped(const trace_file_t *f);
/* Why the last call failed ("gzip: unexpected end of file", "line longer
 * than 65536 bytes"...), or NULL when nothing failed. */
const char *trace_file_error(const trace_file_t *f);

/* Format "PATH: record N (offset O): what" into err (N = 0: "header"). */
void trace_file_err(const trace_file_t *f, char *err, size_t errlen, uint64_t record,
                    uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
