/*
 * The kernel monitor: a command line on the console for looking at the
 * kernel and running the user programs linked into it. It owns the
 * console whenever no environment can run.
 */
#include <x86.h>
#include <string.h>
#include <memlayout.h>
#include "defs.h"

struct Command {
	const char *name;
	const char *desc;
	int (*func)(int argc, char **argv, struct Trapframe *tf);
};

static int mon_help(int argc, char **argv, struct Trapframe *tf);
static int mon_kerninfo(int argc, char **argv, struct Trapframe *tf);
static int mon_progs(int argc, char **argv, struct Trapframe *tf);
static int mon_run(int argc, char **argv, struct Trapframe *tf);
static int mon_poweroff(int argc, char **argv, struct Trapframe *tf);

static const struct Command commands[] = {
	{ "help", "Display this list of commands", mon_help },
	{ "kerninfo", "Display information about the kernel", mon_kerninfo },
	{ "backtrace", "Display a backtrace of the kernel stack", mon_backtrace },
	{ "progs", "List the user programs linked into the kernel", mon_progs },
	{ "run", "Run user programs: run PROGRAM [PROGRAM...]", mon_run },
	{ "poweroff", "Switch the machine off (isa-debug-exit)", mon_poweroff },
};

static int mon_help(int argc, char **argv, struct Trapframe *tf)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		cprintf("%s - %s\n", commands[i].name, commands[i].desc);
	return 0;
}

static int mon_kerninfo(int argc, char **argv, struct Trapframe *tf)
{
	extern char _start[], entry[], etext[], edata[], end[];
	cprintf("Special kernel symbols:\n");
	cprintf("  _start                  %08x (phys)\n", _start);
	cprintf("  entry  %08x (virt)  %08x (phys)\n", entry, entry - KERNBASE);
	cprintf("  etext  %08x (virt)  %08x (phys)\n", etext, etext - KERNBASE);
	cprintf("  edata  %08x (virt)  %08x (phys)\n", edata, edata - KERNBASE);
	cprintf("  end    %08x (virt)  %08x (phys)\n", end, end - KERNBASE);
	cprintf("Kernel executable memory footprint: %dKB\n", ROUNDUP(end - entry, 1024) / 1024);
	return 0;
}

/* Walk the saved-EBP chain: each frame holds the caller's EBP, the return address, then the arguments. */
int mon_backtrace(int argc, char **argv, struct Trapframe *tf)
{
	cprintf("Stack backtrace:\n");
	for (uint32_t *ebp = (uint32_t *) read_ebp(); ebp; ebp = (uint32_t *) ebp[0]) {
		uintptr_t eip = ebp[1];
		cprintf("  ebp %08x  eip %08x  args %08x %08x %08x %08x %08x\n",
			ebp, eip, ebp[2], ebp[3], ebp[4], ebp[5], ebp[6]);
		/* Look up eip - 1: a call to a noreturn function may end its caller. */
		uintptr_t offset;
		const char *name = symbol_for(eip - 1, &offset);
		cprintf("         %s+%d\n", name ? name : "<unknown>", offset + 1);
	}
	return 0;
}

static int mon_progs(int argc, char **argv, struct Trapframe *tf)
{
	for (const struct UserProgram *p = user_programs; p->name; p++)
		cprintf("%s ", p->name);
	cprintf("\n");
	return 0;
}

static int mon_run(int argc, char **argv, struct Trapframe *tf)
{
	if (argc < 2) {
		cprintf("usage: run PROGRAM [PROGRAM...]\n");
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (!find_program(argv[i])) {
			cprintf("run: no program named '%s' (try 'progs')\n", argv[i]);
			return 0;
		}
	}
	for (int i = 1; i < argc; i++) {
		const struct UserProgram *p = find_program(argv[i]);
		enum EnvType type = strcmp(p->name, "fs") == 0 ? ENV_TYPE_FS : ENV_TYPE_USER;
		int r = env_create(p->start, p->end - p->start, type, p->name);
		if (r < 0)
			cprintf("run: cannot create %s: %e\n", p->name, r);
	}
	sched_yield();
	return 0;
}

/* QEMU's isa-debug-exit at port 0xF4 (and jos86's) ends the emulator; on real hardware, halt. */
static int mon_poweroff(int argc, char **argv, struct Trapframe *tf)
{
	cprintf("Powering off.\n");
	outb(0xF4, 0);
	for (;;)
		asm volatile("cli; hlt");
}

#define MAXARGS 16
#define WHITESPACE "\t\r\n "

static int runcmd(char *buf, struct Trapframe *tf)
{
	char *argv[MAXARGS];
	int argc = 0;
	for (;;) {
		while (*buf && strchr(WHITESPACE, *buf))
			*buf++ = 0;
		if (*buf == 0)
			break;
		if (argc == MAXARGS - 1) {
			cprintf("Too many arguments (max %d)\n", MAXARGS);
			return 0;
		}
		argv[argc++] = buf;
		while (*buf && !strchr(WHITESPACE, *buf))
			buf++;
	}
	argv[argc] = 0;
	if (argc == 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].func(argc, argv, tf);
	cprintf("Unknown command '%s'\n", argv[0]);
	return 0;
}

void monitor(struct Trapframe *tf)
{
	cprintf("Welcome to the JOS kernel monitor!\n");
	cprintf("Type 'help' for a list of commands.\n");
	if (tf)
		print_trapframe(tf);
	for (;;) {
		char *buf = readline("K> ");
		if (buf)
			runcmd(buf, tf);
	}
}

/* Entered from the scheduler on a fresh stack when nothing can run. */
void monitor_entry(void)
{
	monitor(NULL);
}
