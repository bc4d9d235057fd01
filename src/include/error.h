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

	/* process migration (issue 6) */
	E_NOT_PAUSED,		/* the environment must be paused first */
	E_BAD_IMAGE,		/* not a valid migration image */
	MAXERROR
};

#endif
