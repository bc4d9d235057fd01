/*
 * printf-style formatting for the kernel and user space: %d %u %x %o %c %s
 * %p %e (JOS error codes) and %%, with l/ll, width, '-', '0' and precision.
 * Output goes character by character to a callback.
 */
#include <types.h>
#include <stdio.h>
#include <string.h>
#include <error.h>

static const char *const error_string[MAXERROR] = {
	[E_UNSPECIFIED] = "unspecified error",
	[E_BAD_ENV] = "bad environment",
	[E_INVAL] = "invalid parameter",
	[E_NO_MEM] = "out of memory",
	[E_NO_FREE_ENV] = "out of environments",
	[E_FAULT] = "segmentation fault",
	[E_IPC_NOT_RECV] = "env is not recving",
	[E_EOF] = "unexpected end of file",
	[E_NO_DISK] = "no free space on disk",
	[E_MAX_OPEN] = "too many files are open",
	[E_NOT_FOUND] = "file or block not found",
	[E_BAD_PATH] = "invalid path",
	[E_FILE_EXISTS] = "file already exists",
	[E_NOT_EXEC] = "file is not a valid executable",
	[E_NOT_SUPP] = "operation not supported",
	[E_NOT_DIR] = "not a directory",
	[E_IS_DIR] = "is a directory",
	[E_NOT_EMPTY] = "directory not empty",
	[E_NAME_TOO_LONG] = "name too long",
	[E_BAD_FS] = "bad file system",
	[E_NOT_PAUSED] = "environment is not paused",
	[E_BAD_IMAGE] = "bad migration image",
	[E_BAD_PASSWORD] = "wrong password",
};

static void printnum(void (*putch)(int, void *), void *putdat, unsigned long long num, unsigned base, int width, int padc)
{
	char digits[24];
	int n = 0;
	do {
		digits[n++] = "0123456789abcdef"[num % base];
		num /= base;
	} while (num > 0);
	while (width-- > n)
		putch(padc, putdat);
	while (n > 0)
		putch(digits[--n], putdat);
}

static unsigned long long getuint(va_list *ap, int lflag)
{
	if (lflag >= 2)
		return va_arg(*ap, unsigned long long);
	if (lflag)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static long long getint(va_list *ap, int lflag)
{
	if (lflag >= 2)
		return va_arg(*ap, long long);
	if (lflag)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

void vprintfmt(void (*putch)(int, void *), void *putdat, const char *fmt, va_list ap)
{
	const char *p;
	int ch, err;
	unsigned long long num;
	int base, lflag, width, precision, altflag;
	char padc;

	for (;;) {
		while ((ch = *(unsigned char *) fmt++) != '%') {
			if (ch == '\0')
				return;
			putch(ch, putdat);
		}
		padc = ' ';
		width = -1;
		precision = -1;
		lflag = 0;
		altflag = 0;
	reswitch:
		switch (ch = *(unsigned char *) fmt++) {
		case '-':
			padc = '-';
			goto reswitch;
		case '0':
			padc = '0';
			goto reswitch;
		case '1': case '2': case '3': case '4': case '5':
		case '6': case '7': case '8': case '9':
			for (precision = 0;; ++fmt) {
				precision = precision * 10 + ch - '0';
				ch = *fmt;
				if (ch < '0' || ch > '9')
					break;
			}
			goto process_precision;
		case '*':
			precision = va_arg(ap, int);
			goto process_precision;
		case '.':
			if (width < 0)
				width = 0;
			goto reswitch;
		case '#':
			altflag = 1;
			goto reswitch;
		process_precision:
			if (width < 0)
				width = precision, precision = -1;
			goto reswitch;
		case 'l':
			lflag++;
			goto reswitch;
		case 'c':
			putch(va_arg(ap, int), putdat);
			break;
		case 'e':
			err = va_arg(ap, int);
			if (err < 0)
				err = -err;
			if (err >= MAXERROR || (p = error_string[err]) == NULL)
				printfmt(putch, putdat, "error %d", err);
			else
				printfmt(putch, putdat, "%s", p);
			break;
		case 's':
			if ((p = va_arg(ap, char *)) == NULL)
				p = "(null)";
			if (width > 0 && padc != '-')
				for (width -= strnlen(p, precision >= 0 ? (size_t) precision : (size_t) -1); width > 0; width--)
					putch(padc, putdat);
			for (; (ch = *p++) != '\0' && (precision < 0 || --precision >= 0); width--)
				putch(ch, putdat);
			for (; width > 0; width--)
				putch(' ', putdat);
			break;
		case 'd':
			num = getint(&ap, lflag);
			if ((long long) num < 0) {
				putch('-', putdat);
				num = -(long long) num;
				if (width > 0)
					width--;
			}
			base = 10;
			goto number;
		case 'u':
			num = getuint(&ap, lflag);
			base = 10;
			goto number;
		case 'o':
			num = getuint(&ap, lflag);
			base = 8;
			goto number;
		case 'p':
			putch('0', putdat);
			putch('x', putdat);
			num = (unsigned long long) (uintptr_t) va_arg(ap, void *);
			base = 16;
			goto number;
		case 'x':
			num = getuint(&ap, lflag);
			base = 16;
		number:
			(void) altflag;
			if (padc == '-') {
				/* left-justify: print, then pad */
				char buf[24];
				int n = 0;
				do {
					buf[n++] = "0123456789abcdef"[num % base];
					num /= base;
				} while (num > 0);
				int pad = width - n;
				while (n > 0)
					putch(buf[--n], putdat);
				while (pad-- > 0)
					putch(' ', putdat);
			} else {
				printnum(putch, putdat, num, base, width, padc);
			}
			break;
		case '%':
			putch(ch, putdat);
			break;
		default:
			putch('%', putdat);
			for (fmt--; fmt[-1] != '%'; fmt--)
				;
			break;
		}
	}
}

void printfmt(void (*putch)(int, void *), void *putdat, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintfmt(putch, putdat, fmt, ap);
	va_end(ap);
}

struct sprintbuf {
	char *buf;
	char *ebuf;
	int cnt;
};

static void sprintputch(int ch, void *data)
{
	struct sprintbuf *b = data;
	b->cnt++;
	if (b->buf < b->ebuf)
		*b->buf++ = ch;
}

int vsnprintf(char *buf, int n, const char *fmt, va_list ap)
{
	struct sprintbuf b = { buf, buf + n - 1, 0 };
	if (buf == NULL || n < 1)
		return -E_INVAL;
	vprintfmt(sprintputch, &b, fmt, ap);
	*b.buf = '\0';
	return b.cnt;
}

int snprintf(char *buf, int n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vsnprintf(buf, n, fmt, ap);
	va_end(ap);
	return rc;
}
