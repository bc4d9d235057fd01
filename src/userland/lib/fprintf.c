/* printf and fprintf: formatted output to a file descriptor, buffered per call. */
#include <lib.h>

struct printbuf {
	int fd;
	int idx;
	ssize_t result;	/* bytes written, or the first error */
	int error;
	char buf[256];
};

static void writebuf(struct printbuf *b)
{
	if (b->error || b->idx == 0)
		return;
	ssize_t r = write(b->fd, b->buf, b->idx);
	if (r < 0)
		b->error = r;
	else
		b->result += r;
	b->idx = 0;
}

static void putch(int ch, void *thunk)
{
	struct printbuf *b = thunk;
	b->buf[b->idx++] = ch;
	if (b->idx == (int) sizeof(b->buf))
		writebuf(b);
}

int vfprintf(int fd, const char *fmt, va_list ap)
{
	struct printbuf b;
	b.fd = fd;
	b.idx = 0;
	b.result = 0;
	b.error = 0;
	vprintfmt(putch, &b, fmt, ap);
	writebuf(&b);
	return b.error ? b.error : b.result;
}

int fprintf(int fd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vfprintf(fd, fmt, ap);
	va_end(ap);
	return cnt;
}

int printf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vfprintf(1, fmt, ap);
	va_end(ap);
	return cnt;
}
