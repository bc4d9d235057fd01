/*
 * Process migration through memory, no file system needed. Three tests:
 *   1. a counting child is paused, saved into memory, loaded into a new
 *      environment; the old one is killed and the new one resumed, and it
 *      must go on from the next value under its new id;
 *   2. the same with a child holding 1.25 MiB of heap, which must have the
 *      same checksum after the move;
 *   3. damaged and malicious copies of an image are loaded, and every one
 *      must be refused without leaving an environment behind;
 *   4. a child blocked in ipc_recv moves, and must still be waiting: it
 *      answers the next message under its new id, and forks.
 * Figures (pages, bytes, ticks) are printed for the closing note.
 */
#include <lib.h>

#define IMAGE_BASE ((uint8_t *) 0x20000000)	/* the saved image */
#define COPY_BASE ((uint8_t *) 0x28000000)	/* a damaged copy of it */
#define IMAGE_LIMIT (64 * 1024 * 1024)
#define HEAP ((uint8_t *) 0x08000000)
#define HEAP_PAGES 320	/* 1.25 MiB */
#define PEEK ((void *) 0x0ffff000)	/* where the parent copies a child's page to look at it */

/* Shared with the children: each keeps its own copy after fork (copy-on-write). */
static volatile unsigned count;		/* test 1: the last value printed */
static volatile unsigned heap_sum;	/* test 2: the heap's checksum, once computed */
static volatile unsigned heap_rounds;	/* test 2: checksums computed and compared so far */

static void sleep_ticks(unsigned n)
{
	unsigned start = sys_time();
	while (sys_time() - start < n)
		sys_yield();
}

/* A 32-bit word of a paused child's memory, read through a copy of its page. */
static uint32_t peek(envid_t env, volatile const void *addr)
{
	uintptr_t va = (uintptr_t) addr;
	int r = sys_env_page_copy(env, (void *) ROUNDDOWN(va, PGSIZE), PEEK);
	if (r < 0)
		panic("peek at %08x in %08x: %e", va, env, r);
	return *(uint32_t *) ((uint8_t *) PEEK + va % PGSIZE);
}

static int envs_in_use(void)
{
	int n = 0;
	for (int i = 0; i < NENV; i++)
		if (envs[i].env_status != ENV_FREE)
			n++;
	return n;
}

static void counting_child(void)
{
	for (count = 0;; count++) {
		cprintf("envid %x counter %d\n", thisenv->env_id, count);
		sleep_ticks(2);
	}
}

/* FNV-1a over 32-bit words: cheaper than a CRC in the emulator, and any changed word shows. */
static uint32_t heap_checksum(void)
{
	uint32_t h = 2166136261u;
	for (const uint32_t *p = (const uint32_t *) HEAP; p < (const uint32_t *) (HEAP + HEAP_PAGES * PGSIZE); p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static void heap_child(void)
{
	for (int i = 0; i < HEAP_PAGES; i++)
		if (sys_page_alloc(0, HEAP + i * PGSIZE, PTE_P | PTE_U | PTE_W) < 0)
			panic("heap_child: out of memory");
	uint32_t x = 2463534242u;
	for (uint32_t *p = (uint32_t *) HEAP; p < (uint32_t *) (HEAP + HEAP_PAGES * PGSIZE); p++) {
		x ^= x << 13;	/* xorshift32 */
		x ^= x >> 17;
		x ^= x << 5;
		*p = x;
	}
	heap_sum = heap_checksum();
	cprintf("envid %x heap %u KB checksum %08x\n", thisenv->env_id, HEAP_PAGES * PGSIZE / 1024, heap_sum);
	for (;;) {
		heap_rounds++;
		sleep_ticks(5);
		uint32_t now = heap_checksum();
		cprintf("envid %x heap checksum %08x %s\n", thisenv->env_id, now, now == heap_sum ? "unchanged" : "CHANGED");
	}
}

/* Pause `old`, save it, load the image, kill `old`, resume the copy: the moved environment's new id. */
static envid_t migrate(envid_t old, struct MigMemory *image)
{
	struct MigStats save, load;
	envid_t moved;
	int r;
	if ((r = sys_env_pause(old)) < 0)
		panic("pause %08x: %e", old, r);
	image->mm_len = image->mm_pos = 0;
	cprintf("migtest: saving %08x\n", old);
	if ((r = mig_save(old, "jos86", 0, mig_memory_write, image, &save)) < 0)
		panic("save %08x: %s", old, mig_error());
	cprintf("migtest: loading\n");
	if ((r = mig_load(0, mig_memory_read, image, &moved, &load)) < 0)
		panic("load: %s", mig_error());
	cprintf("migtest: saved %08x: %u pages, %u bytes, %u ticks; loaded as %08x in %u ticks\n",
		old, save.ms_pages, save.ms_bytes, save.ms_ticks, moved, load.ms_ticks);
	if (envs[ENVX(moved)].env_status != ENV_RUNNABLE || !envs[ENVX(moved)].env_paused)
		panic("the loaded environment is not runnable and paused");
	if ((r = sys_env_kill(old)) < 0)
		panic("kill %08x: %e", old, r);
	if ((r = sys_env_resume(moved)) < 0)
		panic("resume %08x: %e", moved, r);
	return moved;
}

static void test_counter(struct MigMemory *image)
{
	envid_t child = fork();
	if (child < 0)
		panic("fork: %e", child);
	if (child == 0)
		counting_child();
	sleep_ticks(7);
	if (sys_env_pause(child) < 0)
		panic("pause");
	unsigned before = peek(child, &count);
	cprintf("migtest: paused %08x at counter %u\n", child, before);
	/* While paused it must not count; resumed it must. */
	sleep_ticks(6);
	if (peek(child, &count) != before)
		panic("a paused environment ran");
	sys_env_resume(child);
	sleep_ticks(5);
	envid_t moved = migrate(child, image);
	sleep_ticks(5);
	sys_env_pause(moved);
	unsigned after = peek(moved, &count);
	cprintf("migtest: counter moved to %08x and went on to %u\n", moved, after);
	sys_env_kill(moved);
}

static void test_heap(struct MigMemory *image)
{
	envid_t child = fork();
	if (child < 0)
		panic("fork: %e", child);
	if (child == 0)
		heap_child();
	while (envs[ENVX(child)].env_status != ENV_FREE) {
		sleep_ticks(5);
		sys_env_pause(child);
		bool ready = peek(child, &heap_rounds) > 0;
		sys_env_resume(child);
		if (ready)
			break;
	}
	sys_env_pause(child);
	uint32_t before = peek(child, &heap_sum);
	envid_t moved = migrate(child, image);
	for (;;) {
		sleep_ticks(5);
		sys_env_pause(moved);
		if (peek(moved, &heap_rounds) > 1)
			break;
		sys_env_resume(moved);
	}
	uint32_t after = peek(moved, &heap_sum);
	cprintf("migtest: heap checksum %08x before the move, %08x after: %s\n", before, after,
		before == after ? "same" : "DIFFERENT");
	sys_env_kill(moved);
}

/* Answer each message with value + 100; on 2, fork first. */
static void echo_child(void)
{
	for (;;) {
		envid_t from;
		uint32_t value = ipc_recv(&from, NULL, NULL);
		cprintf("envid %x got %u from %x\n", thisenv->env_id, value, from);
		if (value == 2) {
			envid_t kid = fork();
			if (kid < 0)
				panic("fork after the move: %e", kid);
			if (kid == 0) {
				cprintf("envid %x: forked by %x after the move\n", thisenv->env_id, thisenv->env_parent_id);
				exit();
			}
		}
		ipc_send(from, value + 100, NULL, 0);
	}
}

static void test_ipc(struct MigMemory *image)
{
	envid_t child = fork();
	if (child < 0)
		panic("fork: %e", child);
	if (child == 0)
		echo_child();
	envid_t from;
	ipc_send(child, 1, NULL, 0);
	uint32_t answer = ipc_recv(&from, NULL, NULL);
	while (!envs[ENVX(child)].env_ipc_recving)
		sys_yield();
	envid_t moved = migrate(child, image);
	ipc_send(moved, 2, NULL, 0);
	uint32_t later = ipc_recv(&from, NULL, NULL);
	cprintf("migtest: %08x answered %u before the move; %08x answered %u after it\n", child, answer, from, later);
	sleep_ticks(5);
	sys_env_kill(moved);
}

/* ---- test 3: damaged images ---- */

static struct MigMemory *pristine;
static struct MigMemory damaged = { COPY_BASE, IMAGE_LIMIT, 0, 0 };
static int refused, accepted;

static void copy_image(uint32_t len)
{
	mig_memory_free(&damaged);
	if (mig_memory_write(&damaged, pristine->mm_base, len) < 0)
		panic("copy_image: out of memory");
}

static void put32(uint32_t off, uint32_t value)
{
	memcpy(damaged.mm_base + off, &value, 4);
}

/* Recompute the end checksum, so that the damage is judged by the check it aims at. */
static void reseal(void)
{
	put32(damaged.mm_len - 4, crc32_update(0, damaged.mm_base, damaged.mm_len - 4));
}

static void try_load(const char *what)
{
	int before = envs_in_use();
	envid_t moved;
	damaged.mm_pos = 0;
	int r = mig_load(0, mig_memory_read, &damaged, &moved, NULL);
	if (r >= 0) {
		accepted++;
		cprintf("migtest: ACCEPTED damaged image (%s) as %08x\n", what, moved);
		sys_env_kill(moved);
		return;
	}
	if (envs_in_use() != before)
		panic("a refused image (%s) left an environment behind", what);
	refused++;
	cprintf("migtest: refused %s: %s\n", what, mig_error());
}

/* Byte offsets in the image (migrate.h). */
#define OFF_REGS (sizeof(struct MigHeader) + sizeof(struct MigRecord))
#define OFF_UPCALL (OFF_REGS + sizeof(struct MigRegs) + sizeof(struct MigRecord))
#define OFF_PAGE0 (OFF_UPCALL + sizeof(struct MigUpcall))
#define PAGE_RECORD (sizeof(struct MigRecord) + sizeof(struct MigPage) + PGSIZE)

static void test_damaged(struct MigMemory *image)
{
	pristine = image;
	uint32_t len = image->mm_len;
	static const uint32_t cuts[] = { 0, 7, 100, 128, 140, 200, 260, 3000 };
	for (size_t i = 0; i < ARRAY_SIZE(cuts); i++) {
		copy_image(cuts[i]);
		try_load("truncated");
	}
	copy_image(len - 1);
	try_load("truncated by one byte");
	copy_image(len);
	damaged.mm_base[OFF_PAGE0 + PAGE_RECORD + 100] ^= 0x40;
	try_load("a flipped bit in a page");
	copy_image(len);
	damaged.mm_base[len - 1] ^= 1;
	try_load("a flipped bit in the checksum");

	struct {
		const char *what;
		uint32_t off, value;
	} fields[] = {
		{ "bad magic", 0, 0x3638534f },
		{ "version 2", 8, 2 | (sizeof(struct MigHeader) << 16) },
		{ "header size 64", 8, MIG_VERSION | (64 << 16) },
		{ "unknown flags", 12, 1 },
		{ "unterminated name", offsetof(struct MigHeader, mh_name) + 28, 0x41414141 },
		{ "envid 0", offsetof(struct MigHeader, mh_envid), 0 },
		{ "page count 0", offsetof(struct MigHeader, mh_page_count), 0 },
		{ "page count 1000000", offsetof(struct MigHeader, mh_page_count), 1000000 },
		{ "reserved header word", offsetof(struct MigHeader, mh_reserved), 7 },
		{ "kernel code segment", OFF_REGS + offsetof(struct MigRegs, mg_cs), GD_KT },
		{ "kernel stack segment", OFF_REGS + offsetof(struct MigRegs, mg_ss), GD_KD },
		{ "IOPL 3", OFF_REGS + offsetof(struct MigRegs, mg_eflags), FL_IF | FL_IOPL_3 | 2 },
		{ "interrupts off", OFF_REGS + offsetof(struct MigRegs, mg_eflags), 2 },
		{ "entry point in the kernel", OFF_REGS + offsetof(struct MigRegs, mg_eip), 0xf0100000 },
		{ "upcall at UTOP", OFF_UPCALL + offsetof(struct MigUpcall, mu_pgfault_upcall), UTOP },
		{ "page at UTOP", OFF_PAGE0 + sizeof(struct MigRecord), UTOP },
		{ "page in the kernel", OFF_PAGE0 + sizeof(struct MigRecord), KERNBASE },
		{ "page without PTE_U", OFF_PAGE0 + sizeof(struct MigRecord) + 4, PTE_P | PTE_W },
		{ "page with PTE_PCD", OFF_PAGE0 + sizeof(struct MigRecord) + 4, PTE_P | PTE_U | PTE_PCD },
		{ "page with PTE_G", OFF_PAGE0 + sizeof(struct MigRecord) + 4, PTE_P | PTE_U | PTE_G },
		{ "duplicate page", OFF_PAGE0 + PAGE_RECORD + sizeof(struct MigRecord), UTEXT },
		{ "record type 9", OFF_PAGE0, 9 },
		{ "record size 4096", OFF_PAGE0 + 4, 4096 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		copy_image(len);
		put32(fields[i].off, fields[i].value);
		reseal();
		try_load(fields[i].what);
	}
	copy_image(len);
	reseal();
	envid_t moved;
	damaged.mm_pos = 0;
	if (mig_load(0, mig_memory_read, &damaged, &moved, NULL) < 0)
		panic("an undamaged copy was refused: %s", mig_error());
	sys_env_kill(moved);
	mig_memory_free(&damaged);
	cprintf("migtest: %d damaged images refused, %d accepted\n", refused, accepted);
}

void umain(int argc, char **argv)
{
	struct MigMemory image = { IMAGE_BASE, IMAGE_LIMIT, 0, 0 };
	int in_use = envs_in_use();
	static const char pangram[] = "The quick brown fox jumps over the lazy dog";
	cprintf("migtest: crc32 of the pangram %08x\n", crc32_update(0, pangram, sizeof(pangram) - 1));
	if (sys_page_alloc(0, PEEK, PTE_P | PTE_U | PTE_W) < 0)
		panic("no page to peek with");
	test_counter(&image);
	test_damaged(&image);
	mig_memory_free(&image);
	test_heap(&image);
	mig_memory_free(&image);
	test_ipc(&image);
	mig_memory_free(&image);
	cprintf("migtest: environments in use before %d, after %d\n", in_use, envs_in_use());
	cprintf("migtest: done\n");
}
