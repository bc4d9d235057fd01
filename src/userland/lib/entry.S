/*
 * User program entry. The kernel starts a program at _start with its stack
 * at USTACKTOP and no arguments; spawned programs would find argc and argv
 * already pushed. The read-only kernel structures get their user addresses
 * here as symbols.
 */
#include <mmu.h>
#include <memlayout.h>

.data
	.globl envs
	.set envs, UENVS
	.globl pages
	.set pages, UPAGES
	.globl uvpt
	.set uvpt, UVPT
	.globl uvpd
	.set uvpd, (UVPT + (UVPT >> 12) * 4)

.text
.globl _start
_start:
	cmpl $USTACKTOP, %esp
	jne args_exist
	pushl $0	/* argv */
	pushl $0	/* argc */
args_exist:
	call libmain
1:	jmp 1b
