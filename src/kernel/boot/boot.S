/*
 * The boot sector. The BIOS (or jos86's BIOS-less start) loads it at
 * 0x7C00 and jumps here in real mode. It opens the A20 gate, loads a flat
 * GDT, switches to 32-bit protected mode and calls bootmain (main.c), which
 * reads the kernel from the disk. No BIOS service is used.
 */
#include <mmu.h>

.set CODE_SEL, 0x08
.set DATA_SEL, 0x10

.globl start
start:
	.code16
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss

	/* A20 through the keyboard controller's output port: command 0xD1, then 0xDF. */
wait_input_1:
	inb $0x64, %al
	testb $0x2, %al
	jnz wait_input_1
	movb $0xd1, %al
	outb %al, $0x64
wait_input_2:
	inb $0x64, %al
	testb $0x2, %al
	jnz wait_input_2
	movb $0xdf, %al
	outb %al, $0x60

	lgdt gdt_pointer
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmp $CODE_SEL, $protected

	.code32
protected:
	movw $DATA_SEL, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss
	movl $start, %esp	/* the stack grows down from the boot sector */
	call bootmain
hang:
	hlt
	jmp hang

	.p2align 2
gdt:
	SEG_NULL
	SEG(STA_X | STA_R, 0x0, 0xffffffff)
	SEG(STA_W, 0x0, 0xffffffff)
gdt_pointer:
	.word gdt_pointer - gdt - 1
	.long gdt
