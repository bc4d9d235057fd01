/* String and memory functions for the kernel and user space (no libc here). */
#include <string.h>

int strlen(const char *s)
{
	int n = 0;
	while (s[n])
		n++;
	return n;
}

int strnlen(const char *s, size_t size)
{
	int n = 0;
	while ((size_t) n < size && s[n])
		n++;
	return n;
}

char *strcpy(char *dst, const char *src)
{
	char *start = dst;
	while ((*dst++ = *src++) != '\0')
		;
	return start;
}

char *strcat(char *dst, const char *src)
{
	strcpy(dst + strlen(dst), src);
	return dst;
}

char *strncpy(char *dst, const char *src, size_t size)
{
	char *start = dst;
	for (size_t i = 0; i < size; i++) {
		*dst++ = *src;
		if (*src)
			src++;
	}
	return start;
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
	char *start = dst;
	if (size > 0) {
		while (--size > 0 && *src != '\0')
			*dst++ = *src++;
		*dst = '\0';
	}
	return dst - start;
}

int strcmp(const char *p, const char *q)
{
	while (*p && *p == *q)
		p++, q++;
	return (int) ((unsigned char) *p - (unsigned char) *q);
}

int strncmp(const char *p, const char *q, size_t n)
{
	while (n > 0 && *p && *p == *q)
		n--, p++, q++;
	if (n == 0)
		return 0;
	return (int) ((unsigned char) *p - (unsigned char) *q);
}

char *strchr(const char *s, char c)
{
	for (; *s; s++)
		if (*s == c)
			return (char *) s;
	return 0;
}

char *strfind(const char *s, char c)
{
	for (; *s; s++)
		if (*s == c)
			break;
	return (char *) s;
}

void *memset(void *v, int c, size_t n)
{
	unsigned char *p = v;
	if (((uintptr_t) v & 3) == 0 && (n & 3) == 0) {
		uint32_t word = (uint8_t) c;
		word |= word << 8;
		word |= word << 16;
		asm volatile("cld; rep stosl" : : "D"(v), "a"(word), "c"(n / 4) : "cc", "memory");
		return v;
	}
	while (n-- > 0)
		*p++ = c;
	return v;
}

void *memmove(void *dst, const void *src, size_t n)
{
	const char *s = src;
	char *d = dst;
	if (s < d && s + n > d) {
		s += n;
		d += n;
		while (n-- > 0)
			*--d = *--s;
	} else {
		if ((((uintptr_t) s | (uintptr_t) d | n) & 3) == 0)
			asm volatile("cld; rep movsl" : : "D"(d), "S"(s), "c"(n / 4) : "cc", "memory");
		else
			while (n-- > 0)
				*d++ = *s++;
	}
	return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
	return memmove(dst, src, n);
}

int memcmp(const void *v1, const void *v2, size_t n)
{
	const uint8_t *s1 = v1, *s2 = v2;
	for (; n > 0; n--, s1++, s2++)
		if (*s1 != *s2)
			return (int) *s1 - (int) *s2;
	return 0;
}

void *memfind(const void *s, int c, size_t n)
{
	const unsigned char *p = s, *end = p + n;
	for (; p < end; p++)
		if (*p == (unsigned char) c)
			break;
	return (void *) p;
}

long strtol(const char *s, char **endptr, int base)
{
	int negative = 0;
	long value = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '+')
		s++;
	else if (*s == '-')
		s++, negative = 1;
	if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2, base = 16;
	else if (base == 0 && s[0] == '0')
		s++, base = 8;
	else if (base == 0)
		base = 10;
	for (;;) {
		int digit;
		if (*s >= '0' && *s <= '9')
			digit = *s - '0';
		else if (*s >= 'a' && *s <= 'z')
			digit = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'Z')
			digit = *s - 'A' + 10;
		else
			break;
		if (digit >= base)
			break;
		s++;
		value = value * base + digit;
	}
	if (endptr)
		*endptr = (char *) s;
	return negative ? -value : value;
}
