/*
 * The environment-control calls (src/kernel/envctl.c) with bad arguments:
 * error codes for bad ids, a running target, addresses at or above UTOP or
 * misaligned; a paused target gets no IPC. The last call passes a kernel
 * address as the result pointer, which must destroy the caller.
 */
#include <lib.h>

static void show(const char *what, int r)
{
	if (r == 0)
		cprintf("%s: ok\n", what);
	else
		cprintf("%s: %e\n", what, r);
}

void umain(int argc, char **argv)
{
	struct EnvState st;
	struct EnvPage page;
	show("pause self", sys_env_pause(0));
	show("pause a stranger", sys_env_pause(0x7ffff3ff));
	show("kill a stranger", sys_env_kill(0x7ffff3ff));
	show("state of self", sys_env_get_state(0, &st));

	envid_t child = fork();
	if (child == 0)
		for (;;)
			ipc_recv(NULL, NULL, NULL);
	while (!envs[ENVX(child)].env_ipc_recving)
		sys_yield();
	show("state of a running child", sys_env_get_state(child, &st));
	show("pause child", sys_env_pause(child));
	show("send to a paused receiver", sys_ipc_try_send(child, 1, (void *) UTOP, 0));
	show("state of the paused child", sys_env_get_state(child, &st));
	cprintf("it is blocked in ipc_recv: %d\n", st.es_ipc_recving);
	show("next page from UTOP", sys_env_next_page(child, UTOP, &page));
	cprintf("found %08x\n", page.ep_va);
	show("next page from 0xffffffff", sys_env_next_page(child, 0xffffffff, &page));
	cprintf("found %08x\n", page.ep_va);
	show("next page from 0", sys_env_next_page(child, 0, &page));
	cprintf("found %08x perm %03x\n", page.ep_va, page.ep_perm);
	show("copy from UTOP", sys_env_page_copy(child, (void *) UTOP, (void *) 0x400000));
	show("copy from the kernel", sys_env_page_copy(child, (void *) KERNBASE, (void *) 0x400000));
	show("copy misaligned", sys_env_page_copy(child, (void *) (UTEXT + 1), (void *) 0x400000));
	show("copy an unmapped page", sys_env_page_copy(child, (void *) 0x400000, (void *) 0x400000));
	show("copy into the kernel", sys_env_page_copy(child, (void *) UTEXT, (void *) KERNBASE));
	show("resume child", sys_env_resume(child));
	show("send to the resumed receiver", sys_ipc_try_send(child, 1, (void *) UTOP, 0));
	show("kill child", sys_env_kill(child));

	envid_t spinner = fork();
	if (spinner == 0)
		for (;;)
			sys_yield();
	sys_env_pause(spinner);
	cprintf("state into the kernel:\n");
	/* Straight to the kernel: the library stub would touch the buffer itself first. */
	int r;
	asm volatile("int $0x30" : "=a"(r) : "a"(SYS_env_get_state), "d"(spinner), "c"(KERNBASE) : "memory");
	cprintf("still alive after a kernel pointer\n");
}
