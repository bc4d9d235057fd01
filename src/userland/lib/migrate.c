/*
 * Process migration in user space: mig_save writes a paused environment to
 * a stream as an image (src/include/migrate.h, docs/MIGRATION.md), and
 * mig_load reads an image back into a new environment. The stream is a
 * callback, so the same code writes to memory, a file or (later) a socket.
 *
 * Save asks the kernel (src/kernel/envctl.c) for the registers and upcall,
 * walks the address space with sys_env_next_page, and copies each page out
 * through a scratch page. The header carries the page count, so the layout
 * is walked twice, once to count and once to write; a paused environment
 * cannot change its layout, and if its parent does meanwhile the save fails.
 *
 * Load reads and checks the whole image before it creates anything. Each
 * page goes straight into a fresh page of the loader's own staging area;
 * only when everything (magic, version, every field, every page, the
 * checksum) has passed does it make a child with exofork and move the
 * staged pages into it with page_map. A failure after that (out of memory)
 * destroys the half-built child, so a refused image leaves nothing behind.
 * The loaded environment is left paused unless MIG_START is given.
 */
#include <lib.h>

/* The working area of save and load in the caller's address space; it must be unmapped. */
#define MIG_SCRATCH 0x10000000	/* save: the page being copied out */
#define MIG_INDEX 0x10001000	/* load: a struct MigPage for each staged page */
#define MIG_STAGE 0x10100000	/* load: the staged pages, in image order */

/* EFLAGS an image may carry: the arithmetic flags, DF, AC, ID, the always-one bit 1, and IF (required). */
#define FL_USER_ALLOWED 0x00240ED7
#define INT_SYSCALL_LEN 2	/* INT $0x30 is CD 30 */

static char reason[128];

/* Why the last mig_save or mig_load failed. */
const char *mig_error(void)
{
	return reason;
}

static int fail(int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return err;
}

#define refuse(...) fail(-E_BAD_IMAGE, __VA_ARGS__)

/*
 * CRC-32 as zlib computes it (reflected polynomial 0xEDB88320); chain calls
 * by passing the last result. Four bytes a step through four tables
 * ("slicing by 4"): about half the instructions of a byte at a time, which
 * is most of the cost of saving and loading.
 */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t n)
{
	static uint32_t table[4][256];
	if (table[0][1] == 0) {
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
			table[0][i] = c;
		}
		for (uint32_t i = 0; i < 256; i++)
			for (int t = 1; t < 4; t++)
				table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
	}
	const uint8_t *p = buf;
	crc = ~crc;
	for (; n > 0 && ((uintptr_t) p & 3); n--)
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	for (; n >= 4; n -= 4, p += 4) {
		crc ^= *(const uint32_t *) p;
		crc = table[3][crc & 0xFF] ^ table[2][(crc >> 8) & 0xFF] ^ table[1][(crc >> 16) & 0xFF] ^ table[0][crc >> 24];
	}
	for (; n > 0; n--)
		crc = table[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

static bool is_mapped(uintptr_t va)
{
	return (uvpd[PDX(va)] & PTE_P) && (uvpt[PGNUM(va)] & PTE_P);
}

/* ---- save ---- */

struct Output {
	mig_write_fn write;
	void *arg;
	uint32_t crc;
	uint32_t bytes;
};

static int put(struct Output *out, const void *buf, size_t n)
{
	int r = out->write(out->arg, buf, n);
	if (r < 0)
		return fail(r, "write failed after %u bytes: %e", out->bytes, r);
	if ((size_t) r != n)
		return fail(-E_UNSPECIFIED, "short write after %u bytes", out->bytes);
	out->crc = crc32_update(out->crc, buf, n);
	out->bytes += n;
	return 0;
}

static int put_record(struct Output *out, uint32_t type, const void *payload, size_t size)
{
	struct MigRecord rec = { type, size };
	int r = put(out, &rec, sizeof(rec));
	return r < 0 ? r : put(out, payload, size);
}

/* Pages of `envid` below UTOP, and whether its exception stack is among them. */
static int count_pages(envid_t envid, uint32_t *count, bool *has_xstack)
{
	struct EnvPage page;
	*count = 0;
	*has_xstack = 0;
	for (uintptr_t va = 0;; va = page.ep_va + PGSIZE) {
		int r = sys_env_next_page(envid, va, &page);
		if (r < 0)
			return fail(r, "cannot read its address space: %e", r);
		if (page.ep_va >= UTOP)
			return 0;
		if (page.ep_va == UXSTACKTOP - PGSIZE)
			*has_xstack = 1;
		++*count;
	}
}

static void regs_from_trapframe(struct MigRegs *regs, const struct Trapframe *tf)
{
	regs->mg_edi = tf->tf_regs.reg_edi;
	regs->mg_esi = tf->tf_regs.reg_esi;
	regs->mg_ebp = tf->tf_regs.reg_ebp;
	regs->mg_ebx = tf->tf_regs.reg_ebx;
	regs->mg_edx = tf->tf_regs.reg_edx;
	regs->mg_ecx = tf->tf_regs.reg_ecx;
	regs->mg_eax = tf->tf_regs.reg_eax;
	regs->mg_es = tf->tf_es;
	regs->mg_ds = tf->tf_ds;
	regs->mg_trapno = tf->tf_trapno;
	regs->mg_err = tf->tf_err;
	regs->mg_eip = tf->tf_eip;
	regs->mg_cs = tf->tf_cs;
	regs->mg_eflags = tf->tf_eflags;
	regs->mg_esp = tf->tf_esp;
	regs->mg_ss = tf->tf_ss;
}

static int save_pages(envid_t envid, uint32_t count, int flags, struct Output *out)
{
	struct EnvPage page;
	uint32_t n = 0;
	for (uintptr_t va = 0;; va = page.ep_va + PGSIZE) {
		int r = sys_env_next_page(envid, va, &page);
		if (r < 0)
			return fail(r, "cannot read its address space: %e", r);
		if (page.ep_va >= UTOP)
			break;
		if (n == count)
			return fail(-E_INVAL, "its address space changed while it was being saved");
		if ((r = sys_env_page_copy(envid, (void *) page.ep_va, (void *) MIG_SCRATCH)) < 0)
			return fail(r, "cannot read its page at %08x: %e", page.ep_va, r);
		if (flags & MIG_VERBOSE)
			printf("Saving Page : %u at 0x%08x\n", n, page.ep_va);
		struct MigRecord rec = { MIG_REC_PAGE, sizeof(struct MigPage) + PGSIZE };
		struct MigPage mp = { page.ep_va, page.ep_perm };
		if ((r = put(out, &rec, sizeof(rec))) < 0 || (r = put(out, &mp, sizeof(mp))) < 0 ||
		    (r = put(out, (void *) MIG_SCRATCH, PGSIZE)) < 0)
			return r;
		n++;
	}
	if (n != count)
		return fail(-E_INVAL, "its address space changed while it was being saved");
	return 0;
}

/* Write the paused environment `envid` to `write` as a migration image made on `machine`. */
int mig_save(envid_t envid, const char *machine, int flags, mig_write_fn write, void *arg, struct MigStats *stats)
{
	unsigned start = sys_time();
	struct EnvState st;
	int r = sys_env_get_state(envid, &st);
	if (r == -E_NOT_PAUSED)
		return fail(r, "environment %08x is running: pause it first", envid);
	if (r < 0)
		return fail(r, "cannot read environment %08x: %e", envid, r);

	uint32_t count;
	bool has_xstack;
	if ((r = count_pages(envid, &count, &has_xstack)) < 0)
		return r;
	if (count > MIG_MAX_PAGES)
		return fail(-E_INVAL, "%u pages is more than an image may hold (%u)", count, MIG_MAX_PAGES);
	if (is_mapped(MIG_SCRATCH))
		return fail(-E_INVAL, "the save scratch page %08x is in use", MIG_SCRATCH);
	if ((r = sys_page_alloc(0, (void *) MIG_SCRATCH, PTE_P | PTE_U | PTE_W)) < 0)
		return fail(r, "no scratch page: %e", r);

	struct Output out = { write, arg, 0, 0 };
	struct MigHeader h;
	memset(&h, 0, sizeof(h));
	memcpy(h.mh_magic, MIG_MAGIC, MIG_MAGIC_LEN);
	h.mh_version = MIG_VERSION;
	h.mh_header_size = sizeof(h);
	strlcpy(h.mh_machine, machine, sizeof(h.mh_machine));
	strlcpy(h.mh_name, st.es_name, sizeof(h.mh_name));
	h.mh_envid = st.es_id;
	h.mh_parent_id = st.es_parent_id;
	h.mh_page_count = count;
	h.mh_saved_at = start;
	h.mh_runs = st.es_runs;

	struct MigRegs regs;
	regs_from_trapframe(&regs, &st.es_tf);

	struct MigUpcall up;
	memset(&up, 0, sizeof(up));
	up.mu_pgfault_upcall = st.es_pgfault_upcall;
	up.mu_xstack_top = has_xstack ? UXSTACKTOP : 0;
	if (st.es_ipc_recving) {
		up.mu_run_state = MIG_RUN_IPC_RECV;
		up.mu_ipc_dstva = st.es_ipc_dstva < UTOP ? st.es_ipc_dstva : UTOP;
	} else if (st.es_status == ENV_NOT_RUNNABLE) {
		up.mu_run_state = MIG_RUN_STOPPED;
	} else {
		up.mu_run_state = MIG_RUN_RUNNABLE;
	}

	struct MigEnd end = { 2 + count, 0 };
	struct MigRecord end_rec = { MIG_REC_END, sizeof(end) };
	if ((r = put(&out, &h, sizeof(h))) < 0 || (r = put_record(&out, MIG_REC_REGS, &regs, sizeof(regs))) < 0 ||
	    (r = put_record(&out, MIG_REC_UPCALL, &up, sizeof(up))) < 0 || (r = save_pages(envid, count, flags, &out)) < 0 ||
	    (r = put(&out, &end_rec, sizeof(end_rec))) < 0 || (r = put(&out, &end.me_records, sizeof(end.me_records))) < 0)
		goto done;
	end.me_crc = out.crc;
	r = put(&out, &end.me_crc, sizeof(end.me_crc));
done:
	sys_page_unmap(0, (void *) MIG_SCRATCH);
	if (r == 0 && stats) {
		stats->ms_pages = count;
		stats->ms_bytes = out.bytes;
		stats->ms_ticks = sys_time() - start;
	}
	return r;
}

/* ---- load ---- */

struct Input {
	mig_read_fn read;
	void *arg;
	uint32_t crc;
	uint32_t bytes;
};

/* Exactly `n` bytes, or a refusal: the stream ending early means a truncated image. */
static int get(struct Input *in, void *buf, size_t n, const char *what)
{
	size_t done = 0;
	while (done < n) {
		int r = in->read(in->arg, (uint8_t *) buf + done, n - done);
		if (r < 0)
			return fail(r, "read failed at byte %u: %e", in->bytes + done, r);
		if (r == 0)
			return refuse("truncated: the image ends at byte %u, inside the %s", in->bytes + done, what);
		done += r;
	}
	in->crc = crc32_update(in->crc, buf, n);
	in->bytes += n;
	return 0;
}

static int get_record(struct Input *in, uint32_t type, uint32_t size, const char *what)
{
	struct MigRecord rec;
	int r = get(in, &rec, sizeof(rec), what);
	if (r < 0)
		return r;
	if (rec.mr_type != type)
		return refuse("record type %u at byte %u where the %s (type %u) belongs", rec.mr_type, in->bytes - 8, what, type);
	if (rec.mr_size != size)
		return refuse("%s record of %u bytes (must be %u)", what, rec.mr_size, size);
	return 0;
}

/* A fixed-size text field: printable characters, a NUL, then NUL padding. */
static bool good_text(const char *s, size_t size)
{
	size_t n = 0;
	while (n < size && s[n] >= 0x20 && s[n] < 0x7F)
		n++;
	if (n == size)
		return 0;
	for (; n < size; n++)
		if (s[n] != 0)
			return 0;
	return 1;
}

static int check_header(const struct MigHeader *h)
{
	if (memcmp(h->mh_magic, MIG_MAGIC, MIG_MAGIC_LEN) != 0)
		return refuse("not a migration image (bad magic)");
	if (h->mh_version != MIG_VERSION)
		return refuse("image version %u; this loader reads version %u", h->mh_version, MIG_VERSION);
	if (h->mh_header_size != sizeof(*h))
		return refuse("header size %u (must be %u)", h->mh_header_size, sizeof(*h));
	if (h->mh_flags != 0)
		return refuse("unknown header flags %08x", h->mh_flags);
	if (!good_text(h->mh_machine, sizeof(h->mh_machine)))
		return refuse("machine name is not NUL-terminated printable text");
	if (!good_text(h->mh_name, sizeof(h->mh_name)))
		return refuse("environment name is not NUL-terminated printable text");
	if ((int32_t) h->mh_envid <= 0)
		return refuse("environment id %08x is not a valid id", h->mh_envid);
	if ((int32_t) h->mh_parent_id < 0)
		return refuse("parent id %08x is not a valid id", h->mh_parent_id);
	if (h->mh_page_count == 0 || h->mh_page_count > MIG_MAX_PAGES)
		return refuse("absurd page count %u (1 to %u)", h->mh_page_count, MIG_MAX_PAGES);
	for (size_t i = 0; i < ARRAY_SIZE(h->mh_reserved); i++)
		if (h->mh_reserved[i] != 0)
			return refuse("reserved header word %u is %08x (must be 0)", i, h->mh_reserved[i]);
	return 0;
}

static int check_regs(const struct MigRegs *g)
{
	if (g->mg_cs != (GD_UT | 3))
		return refuse("code segment %04x is not the user code segment %04x", g->mg_cs, GD_UT | 3);
	if (g->mg_ss != (GD_UD | 3) || g->mg_ds != (GD_UD | 3) || g->mg_es != (GD_UD | 3))
		return refuse("data segments ss %04x ds %04x es %04x are not the user data segment %04x",
			      g->mg_ss, g->mg_ds, g->mg_es, GD_UD | 3);
	if (g->mg_eflags & FL_IOPL_MASK)
		return refuse("EFLAGS %08x raises IOPL", g->mg_eflags);
	if (!(g->mg_eflags & FL_IF))
		return refuse("EFLAGS %08x disables interrupts", g->mg_eflags);
	if (g->mg_eflags & ~FL_USER_ALLOWED)
		return refuse("EFLAGS %08x sets flags a user may not carry (%08x)", g->mg_eflags, g->mg_eflags & ~FL_USER_ALLOWED);
	if (g->mg_eip >= UTOP)
		return refuse("entry point %08x is at or above UTOP", g->mg_eip);
	if (g->mg_esp > UTOP)
		return refuse("stack pointer %08x is above UTOP", g->mg_esp);
	return 0;
}

static int check_upcall(const struct MigUpcall *u)
{
	if (u->mu_pgfault_upcall >= UTOP)
		return refuse("page-fault upcall %08x is at or above UTOP", u->mu_pgfault_upcall);
	if (u->mu_xstack_top != 0 && u->mu_xstack_top != UXSTACKTOP)
		return refuse("exception stack top %08x is not UXSTACKTOP or 0", u->mu_xstack_top);
	if (u->mu_run_state > MIG_RUN_STOPPED)
		return refuse("unknown run state %u", u->mu_run_state);
	if (u->mu_run_state == MIG_RUN_IPC_RECV) {
		if (u->mu_ipc_dstva > UTOP || (u->mu_ipc_dstva & (PGSIZE - 1)))
			return refuse("IPC receive address %08x is not a page below UTOP", u->mu_ipc_dstva);
	} else if (u->mu_ipc_dstva != 0) {
		return refuse("IPC receive address %08x without a receive", u->mu_ipc_dstva);
	}
	if (u->mu_reserved[0] || u->mu_reserved[1])
		return refuse("reserved upcall words are not 0");
	return 0;
}

static int check_page(const struct MigPage *p, uint32_t n, uint32_t prev_va)
{
	if (p->mp_va >= UTOP || (p->mp_va & (PGSIZE - 1)))
		return refuse("page %u at %08x: not a page-aligned address below UTOP", n, p->mp_va);
	if (n > 0 && p->mp_va <= prev_va)
		return refuse("page %u at %08x: %s", n, p->mp_va,
			      p->mp_va == prev_va ? "the same page twice" : "pages out of order");
	if ((p->mp_perm & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
		return refuse("page %u at %08x: permissions %03x lack PTE_P or PTE_U", n, p->mp_va, p->mp_perm);
	if (p->mp_perm & ~PTE_SYSCALL)
		return refuse("page %u at %08x: permissions %03x have disallowed bits %03x", n, p->mp_va,
			      p->mp_perm, p->mp_perm & ~PTE_SYSCALL);
	return 0;
}

/* The staged copy of the page holding `va`, or NULL; the index is sorted by va. */
static const uint8_t *staged_page(uint32_t count, uintptr_t va)
{
	const struct MigPage *index = (const struct MigPage *) MIG_INDEX;
	va = ROUNDDOWN(va, PGSIZE);
	uint32_t lo = 0, hi = count;
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		if (index[mid].mp_va == va)
			return (const uint8_t *) (MIG_STAGE + mid * PGSIZE);
		if (index[mid].mp_va < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct MigPage *staged_perm(uint32_t count, uintptr_t va)
{
	const uint8_t *page = staged_page(count, va);
	if (!page)
		return NULL;
	return (const struct MigPage *) MIG_INDEX + ((uintptr_t) page - MIG_STAGE) / PGSIZE;
}

/* Checks that need every page: code at the entry point, the exception stack, an interrupted INT $0x30. */
static int check_whole(const struct MigRegs *g, const struct MigUpcall *u, uint32_t count)
{
	if (!staged_page(count, g->mg_eip))
		return refuse("no page holds the entry point %08x", g->mg_eip);
	if (u->mu_pgfault_upcall && !staged_page(count, u->mu_pgfault_upcall))
		return refuse("no page holds the page-fault upcall %08x", u->mu_pgfault_upcall);
	const struct MigPage *xstack = staged_perm(count, UXSTACKTOP - PGSIZE);
	if (u->mu_xstack_top && (!xstack || !(xstack->mp_perm & PTE_W)))
		return refuse("the exception stack page is missing or not writable");
	if (!u->mu_xstack_top && xstack)
		return refuse("an exception stack page the upcall record does not mention");
	if (u->mu_run_state == MIG_RUN_IPC_RECV) {
		const uint8_t *p1 = staged_page(count, g->mg_eip - 2), *p2 = staged_page(count, g->mg_eip - 1);
		if (g->mg_eip < INT_SYSCALL_LEN || !p1 || !p2 || p1[(g->mg_eip - 2) % PGSIZE] != 0xCD ||
		    p2[(g->mg_eip - 1) % PGSIZE] != T_SYSCALL)
			return refuse("blocked in IPC, but no INT $0x30 precedes %08x", g->mg_eip);
	}
	return 0;
}

/* What the loader has taken of its staging area, to give back. */
struct Staging {
	uint32_t pages;		/* staged pages, from MIG_STAGE up */
	uint32_t index_pages;	/* index pages, from MIG_INDEX up */
};

static void unstage(const struct Staging *s)
{
	for (uint32_t i = 0; i < s->pages; i++)
		sys_page_unmap(0, (void *) (MIG_STAGE + i * PGSIZE));
	for (uint32_t i = 0; i < s->index_pages; i++)
		sys_page_unmap(0, (void *) (MIG_INDEX + i * PGSIZE));
}

/* A fresh page of the working area at `va`, refusing to replace anything the caller has there. */
static int take_page(uintptr_t va, uint32_t *taken)
{
	if (is_mapped(va))
		return fail(-E_INVAL, "the load staging area at %08x is in use", va);
	int r = sys_page_alloc(0, (void *) va, PTE_P | PTE_U | PTE_W);
	if (r < 0)
		return fail(r, "out of memory staging the image: %e", r);
	++*taken;
	return 0;
}

/* Read the page records into the staging area, checking each. */
static int stage_pages(struct Input *in, uint32_t count, int flags, struct Staging *s)
{
	struct MigPage *index = (struct MigPage *) MIG_INDEX;
	for (uint32_t n = 0; n < count; n++) {
		uintptr_t slot = (uintptr_t) &index[n];
		uintptr_t page = MIG_STAGE + n * PGSIZE;
		struct MigPage mp;
		int r;
		if ((slot % PGSIZE == 0 && (r = take_page(slot, &s->index_pages)) < 0) ||
		    (r = take_page(page, &s->pages)) < 0 ||
		    (r = get_record(in, MIG_REC_PAGE, sizeof(mp) + PGSIZE, "page")) < 0 ||
		    (r = get(in, &mp, sizeof(mp), "page")) < 0 ||
		    (r = check_page(&mp, n, n ? index[n - 1].mp_va : 0)) < 0 ||
		    (r = get(in, (void *) page, PGSIZE, "page contents")) < 0)
			return r;
		index[n] = mp;
		if (flags & MIG_VERBOSE)
			printf("Loading Page : %u at 0x%08x\n", n, mp.mp_va);
	}
	return 0;
}

static void trapframe_from_regs(struct Trapframe *tf, const struct MigRegs *g, const struct MigUpcall *u)
{
	memset(tf, 0, sizeof(*tf));
	tf->tf_regs.reg_edi = g->mg_edi;
	tf->tf_regs.reg_esi = g->mg_esi;
	tf->tf_regs.reg_ebp = g->mg_ebp;
	tf->tf_regs.reg_ebx = g->mg_ebx;
	tf->tf_regs.reg_edx = g->mg_edx;
	tf->tf_regs.reg_ecx = g->mg_ecx;
	tf->tf_regs.reg_eax = g->mg_eax;
	tf->tf_es = g->mg_es;
	tf->tf_ds = g->mg_ds;
	tf->tf_trapno = g->mg_trapno;
	tf->tf_err = g->mg_err;
	tf->tf_eip = g->mg_eip;
	tf->tf_cs = g->mg_cs;
	tf->tf_eflags = g->mg_eflags;
	tf->tf_esp = g->mg_esp;
	tf->tf_ss = g->mg_ss;
	if (u->mu_run_state == MIG_RUN_IPC_RECV) {
		/* Enter the receive again: back over the INT $0x30, with its number and argument. */
		tf->tf_eip -= INT_SYSCALL_LEN;
		tf->tf_regs.reg_eax = SYS_ipc_recv;
		tf->tf_regs.reg_edx = u->mu_ipc_dstva;
	}
}

/* Give the staged pages and the registers to a new child; paused unless MIG_START. */
static int build(const struct MigHeader *h, const struct MigRegs *g, const struct MigUpcall *u, int flags, envid_t *new_env)
{
	const struct MigPage *index = (const struct MigPage *) MIG_INDEX;
	envid_t child = sys_exofork();
	if (child < 0)
		return fail(child, "cannot create an environment: %e", child);
	if (child == 0)
		panic("mig_load: the child ran before it was built");
	int r = 0;
	for (uint32_t n = 0; n < h->mh_page_count && r == 0; n++) {
		r = sys_page_map(0, (void *) (MIG_STAGE + n * PGSIZE), child, (void *) index[n].mp_va, index[n].mp_perm);
		if (r < 0)
			fail(r, "cannot map page %u at %08x: %e", n, index[n].mp_va, r);
	}
	struct Trapframe tf;
	trapframe_from_regs(&tf, g, u);
	if (r == 0 && (r = sys_env_set_trapframe(child, &tf)) < 0)
		fail(r, "cannot set its registers: %e", r);
	if (r == 0 && (r = sys_env_set_pgfault_upcall(child, (void *) u->mu_pgfault_upcall)) < 0)
		fail(r, "cannot set its upcall: %e", r);
	if (r == 0 && (r = sys_env_set_name(child, h->mh_name)) < 0)
		fail(r, "cannot name it: %e", r);
	if (r == 0 && !(flags & MIG_START) && (r = sys_env_pause(child)) < 0)
		fail(r, "cannot pause it: %e", r);
	if (r == 0 && u->mu_run_state != MIG_RUN_STOPPED && (r = sys_env_set_status(child, ENV_RUNNABLE)) < 0)
		fail(r, "cannot make it runnable: %e", r);
	if (r < 0) {
		sys_env_destroy(child);
		return r;
	}
	*new_env = child;
	return 0;
}

/* Read an image from `read`, check all of it, then build it as a new environment. */
int mig_load(int flags, mig_read_fn read, void *arg, envid_t *new_env, struct MigStats *stats)
{
	unsigned start = sys_time();
	struct Input in = { read, arg, 0, 0 };
	struct MigHeader h;
	struct MigRegs regs;
	struct MigUpcall up;
	struct MigEnd end;
	struct Staging staged = { 0, 0 };
	int r;
	if ((r = get(&in, &h, sizeof(h), "header")) < 0 || (r = check_header(&h)) < 0 ||
	    (r = get_record(&in, MIG_REC_REGS, sizeof(regs), "registers")) < 0 ||
	    (r = get(&in, &regs, sizeof(regs), "registers")) < 0 || (r = check_regs(&regs)) < 0 ||
	    (r = get_record(&in, MIG_REC_UPCALL, sizeof(up), "upcall")) < 0 ||
	    (r = get(&in, &up, sizeof(up), "upcall")) < 0 || (r = check_upcall(&up)) < 0 ||
	    (r = stage_pages(&in, h.mh_page_count, flags, &staged)) < 0 ||
	    (r = get_record(&in, MIG_REC_END, sizeof(end), "end")) < 0 ||
	    (r = get(&in, &end.me_records, sizeof(end.me_records), "end")) < 0)
		goto done;
	uint32_t crc = in.crc;
	if ((r = get(&in, &end.me_crc, sizeof(end.me_crc), "end")) < 0)
		goto done;
	if (end.me_records != 2 + h.mh_page_count) {
		r = refuse("end record counts %u records, the image has %u", end.me_records, 2 + h.mh_page_count);
		goto done;
	}
	if (end.me_crc != crc) {
		r = refuse("checksum mismatch: image says %08x, contents give %08x", end.me_crc, crc);
		goto done;
	}
	if ((r = check_whole(&regs, &up, h.mh_page_count)) < 0 || (r = build(&h, &regs, &up, flags, new_env)) < 0)
		goto done;
	if (stats) {
		stats->ms_pages = h.mh_page_count;
		stats->ms_bytes = in.bytes;
		stats->ms_ticks = sys_time() - start;
	}
done:
	unstage(&staged);
	return r;
}

/* ---- an image in memory ---- */

int mig_memory_write(void *arg, const void *buf, size_t n)
{
	struct MigMemory *m = arg;
	if (n > m->mm_limit - m->mm_len)
		return -E_NO_MEM;
	for (size_t off = ROUNDUP(m->mm_len, PGSIZE); off < m->mm_len + n; off += PGSIZE) {
		int r = sys_page_alloc(0, m->mm_base + off, PTE_P | PTE_U | PTE_W);
		if (r < 0)
			return r;
	}
	memcpy(m->mm_base + m->mm_len, buf, n);
	m->mm_len += n;
	return n;
}

int mig_memory_read(void *arg, void *buf, size_t n)
{
	struct MigMemory *m = arg;
	n = MIN(n, m->mm_len - m->mm_pos);
	memcpy(buf, m->mm_base + m->mm_pos, n);
	m->mm_pos += n;
	return n;
}

void mig_memory_free(struct MigMemory *m)
{
	for (size_t off = 0; off < m->mm_len; off += PGSIZE)
		sys_page_unmap(0, m->mm_base + off);
	m->mm_len = m->mm_pos = 0;
}
