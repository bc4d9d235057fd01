; Payload entry and the code that cannot be written in C: the stack switch
; into main, interrupt entry stubs, and the ring-3 side of the INT/IRET phase.
;
; Interrupt and trap mechanics follow the Intel SDM vol. 3A, chapter 6
; ("Interrupt and Exception Handling"): an INT through a DPL-3 gate from ring 3
; switches to SS0:ESP0 from the TSS and pushes SS, ESP, EFLAGS, CS, EIP; IRET
; pops them and returns to ring 3.

STACK_TOP        equ 0x9F000
SEL_KERNEL_CODE  equ 0x08
SEL_KERNEL_DATA  equ 0x10
SEL_USER_CODE    equ 0x18
SEL_USER_DATA    equ 0x20
RPL_USER         equ 3
EFLAGS_RESERVED  equ 0x002        ; bit 1 always reads as 1; IF stays 0
SYSCALL_STEP     equ 0x9E3779B9   ; golden-ratio increment: varied arguments

    bits 32

section .text.entry
global _start
extern bench_main
extern __bss_start
extern __bss_end
_start:
    jmp short payload_start
    ; Run parameters the host may patch into the image (bench/build.ts,
    ; withPhaseSelection): a magic word, then a bit mask of the phases to run,
    ; bit i for the i-th entry of the table in main.c.
    align 4
    db 'BNCH'
global phase_mask
phase_mask:
    dd 0xFFFFFFFF
payload_start:
    mov esp, STACK_TOP
    cld
    mov edi, __bss_start
    mov ecx, __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb
    call bench_main
.halt:
    cli
    hlt
    jmp .halt

section .text

; void gdt_load(const struct pseudo_descriptor *): load the GDT and reload
; every segment register so no stale descriptor cache survives.
global gdt_load
gdt_load:
    mov eax, [esp + 4]
    lgdt [eax]
    jmp SEL_KERNEL_CODE:.reload
.reload:
    mov ax, SEL_KERNEL_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    ret

; Exception stubs: push a zero where the CPU pushes no error code, then the
; vector, so trap_fault() always sees the same frame.
extern trap_fault
%macro FAULT_NO_ERROR 1
fault_stub_%1:
    push 0
    push %1
    jmp fault_common
%endmacro
%macro FAULT_WITH_ERROR 1
fault_stub_%1:
    push %1
    jmp fault_common
%endmacro

%assign vector 0
%rep 32
%if vector = 8 || (vector >= 10 && vector <= 14) || vector = 17
    FAULT_WITH_ERROR vector
%else
    FAULT_NO_ERROR vector
%endif
%assign vector vector + 1
%endrep

fault_common:
    mov ax, SEL_KERNEL_DATA
    mov ds, ax
    mov es, ax
    ; frame: [esp] vector, [esp+4] error code, [esp+8] faulting EIP
    push dword [esp + 8]
    push dword [esp + 8]
    push dword [esp + 8]
    call trap_fault               ; does not return

section .rodata
global fault_stubs
fault_stubs:
%assign vector 0
%rep 32
    dd fault_stub_ %+ vector
%assign vector vector + 1
%endrep

section .bss
global syscall_sum
global user_iterations
syscall_sum:      resd 1
user_iterations:  resd 1
saved_kernel_esp: resd 1

section .text

; INT 0x30 from ring 3: fold the argument in EAX into syscall_sum and IRET.
; The work is deliberately tiny: the phase measures the privilege switch.
global syscall_entry
syscall_entry:
    push edx
    mov edx, [syscall_sum]
    rol edx, 5
    xor edx, eax
    mov [syscall_sum], edx
    pop edx
    iretd

; void enter_user(uint32_t eip, uint32_t esp): IRET to ring 3 at eip with the
; given stack. Control comes back, as if enter_user returned, when ring 3
; executes INT 0x31 (user_exit_entry).
global enter_user
enter_user:
    push ebp
    push ebx
    push esi
    push edi
    mov [saved_kernel_esp], esp
    mov eax, [esp + 20]
    mov ecx, [esp + 24]
    push SEL_USER_DATA | RPL_USER
    push ecx
    push EFLAGS_RESERVED
    push SEL_USER_CODE | RPL_USER
    push eax
    mov dx, SEL_USER_DATA | RPL_USER
    mov ds, dx
    mov es, dx
    mov fs, dx
    mov gs, dx
    iretd

; INT 0x31 from ring 3: drop the interrupt frame and resume enter_user's caller.
global user_exit_entry
user_exit_entry:
    mov ax, SEL_KERNEL_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov esp, [saved_kernel_esp]
    pop edi
    pop esi
    pop ebx
    pop ebp
    ret

; Ring 3: issue user_iterations system calls, then leave through INT 0x31.
global user_syscall_loop
user_syscall_loop:
    mov ecx, [user_iterations]
    xor eax, eax
.call:
    int 0x30
    add eax, SYSCALL_STEP
    dec ecx
    jnz .call
    int 0x31

; Tell the linker this object needs no executable stack.
section .note.GNU-stack noalloc noexec nowrite progbits
