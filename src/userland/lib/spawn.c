/*
 * spawn: start a program from the file system in a new child environment,
 * with arguments. Unlike fork, the child's memory is built from the ELF
 * file: each segment's pages are filled here at UTEMP and mapped into the
 * child; the argument strings and argv[] go at the top of its stack. Pages
 * marked PTE_SHARE (open file descriptors, pipes) are shared with the
 * child as they are. A process-migration image (docs/MIGRATION.md) runs
 * too, as with a binary-format handler: it is loaded and started where it
 * stopped, with the arguments it had then.
 */
#include <lib.h>
#include <elf.h>

#define UTEMP2USTACK(addr) ((void *) (addr) + (USTACKTOP - PGSIZE) - (uintptr_t) UTEMP)

/* The child's stack page, built at UTEMP: strings, argv[], then argc and argv for _start. */
static int init_stack(envid_t child, const char **argv, uintptr_t *init_esp)
{
	size_t string_size = 0;
	int argc;
	for (argc = 0; argv[argc]; argc++)
		string_size += strlen(argv[argc]) + 1;
	char *string_store = (char *) UTEMP + PGSIZE - string_size;
	uintptr_t *argv_store = (uintptr_t *) (ROUNDDOWN(string_store, 4) - 4 * (argc + 1));
	if ((void *) (argv_store - 2) < (void *) UTEMP)
		return -E_NO_MEM;	/* arguments larger than a page */
	int r;
	if ((r = sys_page_alloc(0, UTEMP, PTE_P | PTE_U | PTE_W)) < 0)
		return r;
	for (int i = 0; i < argc; i++) {
		argv_store[i] = (uintptr_t) UTEMP2USTACK(string_store);
		strcpy(string_store, argv[i]);
		string_store += strlen(argv[i]) + 1;
	}
	argv_store[argc] = 0;
	argv_store[-1] = (uintptr_t) UTEMP2USTACK(argv_store);
	argv_store[-2] = argc;
	*init_esp = (uintptr_t) UTEMP2USTACK(&argv_store[-2]);
	if ((r = sys_page_map(0, UTEMP, child, (void *) (USTACKTOP - PGSIZE), PTE_P | PTE_U | PTE_W)) < 0)
		goto error;
	if ((r = sys_page_unmap(0, UTEMP)) < 0)
		goto error;
	return 0;
error:
	sys_page_unmap(0, UTEMP);
	return r;
}

/* Map one loadable segment into the child: file bytes, then zeroed memory. */
static int map_segment(envid_t child, uintptr_t va, size_t memsz, int fd, size_t filesz, off_t fileoffset, int perm)
{
	int i, r;
	if ((i = PGOFF(va))) {
		va -= i;
		memsz += i;
		filesz += i;
		fileoffset -= i;
	}
	for (i = 0; (size_t) i < memsz; i += PGSIZE) {
		if ((size_t) i >= filesz) {
			if ((r = sys_page_alloc(child, (void *) (va + i), perm)) < 0)
				return r;
		} else {
			if ((r = sys_page_alloc(0, UTEMP, PTE_P | PTE_U | PTE_W)) < 0)
				return r;
			if ((r = seek(fd, fileoffset + i)) < 0)
				return r;
			int want = MIN((size_t) PGSIZE, filesz - i);
			if ((r = readn(fd, UTEMP, want)) < 0)
				return r;
			if (r != want)
				return -E_NOT_EXEC;	/* the file is shorter than its headers say */
			if ((r = sys_page_map(0, UTEMP, child, (void *) (va + i), perm)) < 0)
				return r;
			sys_page_unmap(0, UTEMP);
		}
	}
	return 0;
}

/* Share every PTE_SHARE page with the child, at the same address and with the same permissions. */
static int copy_shared_pages(envid_t child)
{
	for (uintptr_t addr = 0; addr < UTOP; addr += PGSIZE) {
		if (!(uvpd[PDX(addr)] & PTE_P)) {
			addr += PTSIZE - PGSIZE;
			continue;
		}
		pte_t pte = uvpt[PGNUM(addr)];
		if ((pte & (PTE_P | PTE_U | PTE_SHARE)) == (PTE_P | PTE_U | PTE_SHARE)) {
			int r = sys_page_map(0, (void *) addr, child, (void *) addr, pte & PTE_SYSCALL);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int read_fd(void *arg, void *buf, size_t n)
{
	return read(*(int *) arg, buf, n);
}

static envid_t spawn_image(int fd, const char *prog)
{
	envid_t child;
	int r = seek(fd, 0);
	if (r >= 0 && (r = mig_load(MIG_START, read_fd, &fd, &child, NULL)) < 0)
		printf("spawn: %s: %s\n", prog, mig_error());
	close(fd);
	return r < 0 ? r : child;
}

envid_t spawn(const char *prog, const char **argv)
{
	int fd, r;
	if ((r = open(prog, O_RDONLY)) < 0)
		return r;
	fd = r;

	unsigned char elf_buf[512];
	struct Elf *elf = (struct Elf *) elf_buf;
	ssize_t n = readn(fd, elf_buf, sizeof(elf_buf));
	if (n >= MIG_MAGIC_LEN && memcmp(elf_buf, MIG_MAGIC, MIG_MAGIC_LEN) == 0)
		return spawn_image(fd, prog);
	if (n != sizeof(elf_buf) || elf->e_magic != ELF_MAGIC ||
	    elf->e_phnum > (sizeof(elf_buf) - sizeof(struct Elf)) / sizeof(struct Proghdr) ||
	    elf->e_phoff < sizeof(struct Elf) || elf->e_phoff + elf->e_phnum * sizeof(struct Proghdr) > sizeof(elf_buf)) {
		close(fd);
		return -E_NOT_EXEC;
	}
	/* Check every segment before creating anything. */
	struct Proghdr *ph = (struct Proghdr *) (elf_buf + elf->e_phoff);
	for (int i = 0; i < elf->e_phnum; i++) {
		if (ph[i].p_type != ELF_PROG_LOAD)
			continue;
		if (ph[i].p_va < UTEXT || ph[i].p_va >= USTACKTOP - PGSIZE || ph[i].p_memsz > USTACKTOP - PGSIZE - ph[i].p_va ||
		    ph[i].p_filesz > ph[i].p_memsz || PGOFF(ph[i].p_va) != PGOFF(ph[i].p_offset)) {
			close(fd);
			return -E_NOT_EXEC;
		}
	}

	envid_t child;
	if ((r = sys_exofork()) < 0) {
		close(fd);
		return r;
	}
	child = r;
	if (child == 0) {
		/* Never returns here: the child starts at the program's entry point. */
		for (;;)
			sys_yield();
	}

	struct Trapframe child_tf = envs[ENVX(child)].env_tf;
	uintptr_t esp;
	if ((r = init_stack(child, argv, &esp)) < 0)
		goto error;
	child_tf.tf_esp = esp;
	child_tf.tf_eip = elf->e_entry;
	for (int i = 0; i < elf->e_phnum; i++) {
		if (ph[i].p_type != ELF_PROG_LOAD)
			continue;
		int perm = PTE_P | PTE_U;
		if (ph[i].p_flags & ELF_PROG_FLAG_WRITE)
			perm |= PTE_W;
		if ((r = map_segment(child, ph[i].p_va, ph[i].p_memsz, fd, ph[i].p_filesz, ph[i].p_offset, perm)) < 0)
			goto error;
	}
	close(fd);
	fd = -1;

	if ((r = copy_shared_pages(child)) < 0)
		goto error;
	const char *name = prog;
	for (const char *p = prog; *p; p++)
		if (*p == '/' && p[1])
			name = p + 1;
	sys_env_set_name(child, name);
	if ((r = sys_env_set_trapframe(child, &child_tf)) < 0)
		goto error;
	if ((r = sys_env_set_status(child, ENV_RUNNABLE)) < 0)
		goto error;
	return child;

error:
	sys_env_destroy(child);
	sys_page_unmap(0, UTEMP);
	if (fd >= 0)
		close(fd);
	return r;
}

envid_t spawnl(const char *prog, const char *arg0, ...)
{
	int argc = 0;
	va_list vl;
	va_start(vl, arg0);
	while (va_arg(vl, void *) != NULL)
		argc++;
	va_end(vl);

	const char *argv[argc + 2];
	argv[0] = arg0;
	argv[argc + 1] = NULL;
	va_start(vl, arg0);
	for (int i = 0; i < argc; i++)
		argv[i + 1] = va_arg(vl, const char *);
	va_end(vl);
	return spawn(prog, argv);
}
