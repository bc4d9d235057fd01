// main.c: the payload's boot order and the phase markers the host times.
//
// The boot sector jumps to _start (entry.asm), which sets the stack, clears
// the bss and calls bench_main. For every phase the host sees, on COM1,
//     phase <name> start
//     phase <name> end <checksum>
// and times the phase from the arrival of the first line to the arrival of
// the second. The checksum must be the same on every peer. The host may skip
// phases by patching phase_mask (entry.asm); PHASE_NAMES in bench/build.ts
// lists this table's names in this order.

#include "bench.h"

struct phase {
	const char *name;
	uint32_t (*run)(void);
};

// The order matters only in that paging runs after the phases that use its
// frame pool as plain buffers; each phase sets up the memory it reads.
static const struct phase phases[] = {
	{ "sieve", phase_sieve },
	{ "crc32", phase_crc32 },
	{ "recursion", phase_recursion },
	{ "copy", phase_copy },
	{ "syscall", phase_syscall },
	{ "paging", phase_paging },
	{ "portio", phase_portio },
};

void bench_main(void)
{
	descriptors_init();
	console_puts("bench start\n");
	for (uint32_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		if (!(phase_mask & (1u << i)))
			continue;
		console_puts("phase ");
		console_puts(phases[i].name);
		console_puts(" start\n");
		uint32_t checksum = phases[i].run();
		console_puts("phase ");
		console_puts(phases[i].name);
		console_puts(" end ");
		console_put_hex(checksum);
		console_puts("\n");
	}
	console_puts("bench done\n");
	exit_emulator(0);
}
