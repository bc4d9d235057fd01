/* cprintf for user programs: formatted into a buffer, written with sys_cputs in as few calls as possible. */
#include <lib.h>

struct printbuf {
	int idx;
	int cnt;
	char buf[256];
};

static void putch(int ch, void *data)
{
	struct printbuf *b = data;
	b->buf[b->idx++] = ch;
	if (b->idx == (int) sizeof(b->buf)) {
		sys_cputs(b->buf, b->idx);
		b->idx = 0;
	}
	b->cnt++;
}

int vcprintf(const char *fmt, va_list ap)
{
	struct printbuf b;
	b.idx = 0;
	b.cnt = 0;
	vprintfmt(putch, &b, fmt, ap);
	sys_cputs(b.buf, b.idx);
	return b.cnt;
}

int cprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int cnt = vcprintf(fmt, ap);
	va_end(ap);
	return cnt;
}
