/* cksum file...: the size and checksum of each file (the same sum writefile prints). */
#include <lib.h>

static uint8_t buf[8192];

void umain(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: cksum file...\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0) {
			printf("cksum: %s: %e\n", argv[i], fd);
			continue;
		}
		uint32_t sum = 0;
		long size = 0;
		int n;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			for (int j = 0; j < n; j++)
				sum = sum * 31 + buf[j];
			size += n;
		}
		close(fd);
		if (n < 0)
			printf("cksum: reading %s: %e\n", argv[i], n);
		else
			printf("%s: %d bytes, checksum %08x\n", argv[i], size, sum);
	}
}
