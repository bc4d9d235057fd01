/*
 * Command-line flags, the JOS way: argnext returns the next flag character
 * (-abc gives a, b, c) and removes the flags from argv; "--" ends them.
 */
#include <lib.h>

void argstart(int *argc, char **argv, struct Argstate *args)
{
	args->argc = argc;
	args->argv = (const char **) argv;
	args->curarg = (*argc > 1 && argv ? "" : 0);
	args->argvalue = 0;
}

static void shift(struct Argstate *args)
{
	memmove(args->argv + 1, args->argv + 2, sizeof(const char *) * (*args->argc - 1));
	(*args->argc)--;
}

int argnext(struct Argstate *args)
{
	if (!args->curarg)
		return -1;
	if (!*args->curarg) {
		if (*args->argc == 1 || args->argv[1][0] != '-' || args->argv[1][1] == '\0')
			goto endofargs;
		args->curarg = args->argv[1] + 1;
		shift(args);
		if (args->curarg[0] == '-' && args->curarg[1] == '\0')
			goto endofargs;	/* "--" */
	}
	int arg = (unsigned char) *args->curarg;
	args->curarg++;
	args->argvalue = 0;
	return arg;
endofargs:
	args->curarg = 0;
	return -1;
}

/* The value of the flag just returned: the rest of its word, or the next word. */
char *argvalue(struct Argstate *args)
{
	if (!args->curarg)
		return 0;
	if (*args->curarg) {
		args->argvalue = args->curarg;
		args->curarg = "";
	} else if (*args->argc > 1) {
		args->argvalue = args->argv[1];
		shift(args);
	} else {
		args->argvalue = 0;
	}
	args->curarg = "";
	return (char *) args->argvalue;
}
