/* Error codes returned (negated) by system calls and library functions. */
#ifndef JOS86_ERROR_H
#define JOS86_ERROR_H

enum {
	E_UNSPECIFIED = 1,	/* unspecified or unknown problem */
	E_BAD_ENV,		/* environment doesn't exist or otherwise cannot be used */
	E_INVAL,		/* invalid parameter */
	E_NO_MEM,		/* request failed due to memory shortage */
	E_NO_FREE_ENV,		/* attempt to create a new environment beyond the maximum */
	E_FAULT,		/* memory fault */
	E_IPC_NOT_RECV,		/* attempt to send to env that is not receiving */
	E_EOF,			/* unexpected end of file */

	/* file system (src/fs) and the file descriptor layer */
	E_NO_DISK,		/* no free space on the disk */
	E_MAX_OPEN,		/* too many files are open */
	E_NOT_FOUND,		/* file or block not found */
	E_BAD_PATH,		/* bad path */
	E_FILE_EXISTS,		/* file already exists */
	E_NOT_EXEC,		/* file is not a valid executable */
	E_NOT_SUPP,		/* operation not supported */
	E_NOT_DIR,		/* a path component is not a directory */
	E_IS_DIR,		/* is a directory */
	E_NOT_EMPTY,		/* directory not empty */
	E_NAME_TOO_LONG,	/* name or path too long */
	E_BAD_FS,		/* no file system, or a corrupt one */

	/* process migration (issue 6) */
	E_NOT_PAUSED,		/* the environment must be paused first */
	E_BAD_IMAGE,		/* not a valid migration image */

	/* disk encryption (issue 7) */
	E_BAD_PASSWORD,		/* the password does not unlock the encrypted disk */
	MAXERROR
};

#endif
