/* df: how big the disk is, how much of it is free, and what the file server's block cache holds. */
#include <lib.h>

void umain(int argc, char **argv)
{
	struct Fsret_statfs st;
	int r = statfs(&st);
	if (r < 0) {
		printf("df: %e\n", r);
		return;
	}
	printf("%d blocks of %d bytes, %d free (%d KiB)\n", st.ret_nblocks, BLKSIZE, st.ret_nfree, st.ret_nfree * (BLKSIZE / 1024));
	printf("block cache: %d blocks, %d evicted since boot\n", st.ret_cached, st.ret_evictions);
}
