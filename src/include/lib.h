/*
 * The user library: what every user program links against. Prototypes
 * grouped by the file in src/userland/lib/ that defines them.
 */
#ifndef JOS86_LIB_H
#define JOS86_LIB_H

#include <types.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <error.h>
#include <assert.h>
#include <env.h>
#include <memlayout.h>
#include <syscall.h>
#include <trap.h>
#include <fs.h>
#include <fd.h>

#define USED(x) (void) (x)

/* Page-table bits the library gives meaning to (PTE_AVAIL). */
#define PTE_COW 0x800	/* copy-on-write: fork shares the page read-only until a write */
#define PTE_SHARE 0x400	/* shared with children as it is, writable or not */

/* main() of a user program */
void umain(int argc, char **argv);

/* libmain.c */
extern const char *binaryname;
/*
 * The caller's own Env, looked up afresh on every use rather than cached:
 * an environment restored from a migration image (migrate.c) runs under a
 * new id in a new slot, with the old one's memory.
 */
#define thisenv (&envs[ENVX(sys_getenvid())])
extern const volatile struct Env envs[NENV];
extern const volatile struct PageInfo pages[];

/* exit.c */
void exit(void) __attribute__((noreturn));

/* pgfault.c */
void set_pgfault_handler(void (*handler)(struct UTrapframe *utf));

/* syscall.c */
void sys_cputs(const char *string, size_t len);
int sys_cgetc(void);
envid_t sys_getenvid(void);
int sys_env_destroy(envid_t);
void sys_yield(void);
int sys_env_set_status(envid_t env, int status);
int sys_env_set_trapframe(envid_t env, struct Trapframe *tf);
int sys_env_set_pgfault_upcall(envid_t env, void *upcall);
int sys_page_alloc(envid_t env, void *pg, int perm);
int sys_page_map(envid_t src_env, void *src_pg, envid_t dst_env, void *dst_pg, int perm);
int sys_page_unmap(envid_t env, void *pg);
int sys_ipc_try_send(envid_t to_env, uint32_t value, void *pg, int perm);
int sys_ipc_recv(void *rcv_pg);
unsigned sys_time(void);
int sys_env_set_name(envid_t env, const char *name);

/* The child of sys_exofork sees 0 in eax; inline so the child returns through this code. */
static inline envid_t __attribute__((always_inline)) sys_exofork(void)
{
	envid_t ret;
	asm volatile("int %2" : "=a"(ret) : "a"(SYS_exofork), "i"(T_SYSCALL));
	return ret;
}

/* ipc.c */
void ipc_send(envid_t to_env, uint32_t value, void *pg, int perm);
int32_t ipc_recv(envid_t *from_env_store, void *pg, int *perm_store);
envid_t ipc_find_env(enum EnvType type);

/* fork.c */
envid_t fork(void);

/* fd.c: descriptors over files, the console and pipes */
ssize_t read(int fd, void *buf, size_t nbytes);
ssize_t readn(int fd, void *buf, size_t nbytes);
ssize_t write(int fd, const void *buf, size_t nbytes);
int seek(int fd, off_t offset);
int close(int fd);
void close_all(void);
int dup(int oldfd, int newfd);
int fstat(int fd, struct Stat *stat);
int stat(const char *path, struct Stat *stat);
int ftruncate(int fd, off_t size);

/* file.c: the file server's clients */
int open(const char *path, int mode);
int remove(const char *path);
int rename(const char *from, const char *to);
int mkdir(const char *path);
int sync(void);
int statfs(struct Fsret_statfs *st);
int encrypt_disk(const char *password, size_t len);
int change_disk_password(const char *old, size_t oldlen, const char *new, size_t newlen);

/* pageref.c */
int pageref(void *va);

/* console.c */
int iscons(int fd);
int opencons(void);

/* pipe.c */
int pipe(int pipefds[2]);
int pipeisclosed(int pipefd);

/* spawn.c */
envid_t spawn(const char *program, const char **argv);
envid_t spawnl(const char *program, const char *arg0, ...);

/* wait.c */
void wait(envid_t env);

/* readline.c (readline itself is in stdio.h): passwords, read from the console without echo */
#define PASSWORD_MAX FS_PASSWORD_MAX	/* a password buffer, its NUL included */
int getpassword(const char *prompt, char *buf, size_t size);
int getnewpassword(char *buf, size_t size);
void password_wipe(char *buf, size_t size);

/* fprintf.c: formatted output to a descriptor */
int printf(const char *fmt, ...);
int fprintf(int fd, const char *fmt, ...);
int vfprintf(int fd, const char *fmt, va_list ap);

/* args.c: command-line flags */
struct Argstate {
	int *argc;
	const char **argv;
	const char *curarg;
	const char *argvalue;
};
void argstart(int *argc, char **argv, struct Argstate *args);
int argnext(struct Argstate *args);
char *argvalue(struct Argstate *args);

/* ---- process migration (issue 6) ---- */
#include <envctl.h>
#include <migrate.h>

/* syscall.c: environment control (src/kernel/envctl.c) */
int sys_env_pause(envid_t envid);
int sys_env_resume(envid_t envid);
int sys_env_kill(envid_t envid);
int sys_env_get_state(envid_t envid, struct EnvState *state);
int sys_env_next_page(envid_t envid, uintptr_t va, struct EnvPage *page);
int sys_env_page_copy(envid_t envid, void *srcva, void *dstva);

/* migrate.c: save and load migration images over a stream */
typedef int (*mig_write_fn)(void *arg, const void *buf, size_t n);	/* n written, or < 0 */
typedef int (*mig_read_fn)(void *arg, void *buf, size_t n);	/* bytes read (0 at the end), or < 0 */
#define MIG_VERBOSE 0x1	/* print a line per page */
#define MIG_START 0x2	/* load: let it run at once instead of leaving it paused */
struct MigStats {
	uint32_t ms_pages;	/* pages in the image */
	uint32_t ms_bytes;	/* bytes of the image */
	uint32_t ms_ticks;	/* timer ticks the save or load took */
};
int mig_save(envid_t envid, const char *machine, int flags, mig_write_fn write, void *arg, struct MigStats *stats);
int mig_load(int flags, mig_read_fn read, void *arg, envid_t *new_env, struct MigStats *stats);
const char *mig_error(void);
/* An image in this environment's own memory, growing page by page from `base`. */
struct MigMemory {
	uint8_t *mm_base;
	size_t mm_limit;	/* bytes it may grow to */
	size_t mm_len;		/* bytes written */
	size_t mm_pos;		/* next byte to read */
};
int mig_memory_write(void *arg, const void *buf, size_t n);
int mig_memory_read(void *arg, void *buf, size_t n);
void mig_memory_free(struct MigMemory *m);
uint32_t crc32_update(uint32_t crc, const void *buf, size_t n);

#endif
