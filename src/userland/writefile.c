/*
 * writefile file bytes: write a file of exactly that many bytes, a
 * repeating pattern that depends on the offset (so misplaced blocks show),
 * and print a checksum of what was written.
 */
#include <lib.h>

static char buf[4096];

void umain(int argc, char **argv)
{
	if (argc != 3) {
		printf("usage: writefile file bytes\n");
		return;
	}
	long size = strtol(argv[2], 0, 0);
	if (size < 0) {
		printf("writefile: bad size %s\n", argv[2]);
		return;
	}
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC);
	if (fd < 0) {
		printf("writefile: %s: %e\n", argv[1], fd);
		return;
	}
	uint32_t sum = 0;
	long done = 0;
	while (done < size) {
		int n = MIN(size - done, (long) sizeof(buf));
		for (int i = 0; i < n; i++) {
			buf[i] = 'a' + (done + i) % 26 + ((done + i) / 4096) % 3;
			sum = sum * 31 + (uint8_t) buf[i];
		}
		int r = write(fd, buf, n);
		if (r != n) {
			printf("writefile: %s: wrote %d of %d bytes: %e\n", argv[1], done + (r > 0 ? r : 0), size, r < 0 ? r : -E_NO_DISK);
			close(fd);
			return;
		}
		done += n;
	}
	close(fd);
	printf("writefile: %s: %d bytes, checksum %08x\n", argv[1], size, sum);
}
