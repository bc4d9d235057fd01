/* System call numbers: the kernel's dispatch table and the user stubs agree on these. */
#ifndef JOS86_SYSCALL_H
#define JOS86_SYSCALL_H

enum {
	SYS_cputs = 0,
	SYS_cgetc,
	SYS_getenvid,
	SYS_env_destroy,
	SYS_page_alloc,
	SYS_page_map,
	SYS_page_unmap,
	SYS_exofork,
	SYS_env_set_status,
	SYS_env_set_trapframe,
	SYS_env_set_pgfault_upcall,
	SYS_yield,
	SYS_ipc_try_send,
	SYS_ipc_recv,
	SYS_time,
	SYS_env_set_name,
	/* process migration (issue 6): src/kernel/envctl.c */
	SYS_env_pause,
	SYS_env_resume,
	SYS_env_kill,
	SYS_env_get_state,
	SYS_env_next_page,
	SYS_env_page_copy,
	NSYSCALLS
};

#endif
