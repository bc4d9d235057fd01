; Bare-metal harness for the differential CPU test (test/cpu/differential.test.ts).
;
; The same image boots on QEMU (qemu-system-i386 -kernel, TCG) and on jos86,
; and both report over COM1; the test compares the two transcripts line by
; line. It is a Multiboot v1 kernel (Multiboot spec 0.6.96, section 3.1: the
; header below, entered in flat 32-bit protected mode with EAX = 0x2BADB002)
; linked at 1 MiB, and it trusts nothing the loader left behind: it installs
; its own GDT, IDT and TSS (Intel SDM vol. 3A, sections 3.4.5, 6.11 and 7.2).
;
; The body comes from "body.inc", written by test/cpu/diff/build.ts into the
; build directory. It defines:
;   SEQ_COUNT, seq_table   generated instruction sequences (may be 0 of them)
;   SEQ_PAGING             1: run the sequences with paging on (identity map,
;                          4 KiB pages), so memory goes through the TLB
;   SEQ_ENTRY_SELECTOR     the code segment sequences run in: SEL_CODE0, or
;                          SEL_SEQ_CODE16 for 16-bit code based at seq16_base
;                          (entries are then offsets from it, and sequences end
;                          with a far jump back to seq_return)
;   system_tests           hand-written system tests (may be a bare RET)
;
; For each generated sequence the runner fills the scratch region with
; pseudo-random bytes from the sequence's seed, loads EAX..EDI and EFLAGS from
; the sequence's record (ESP is always SEQ_ESP, inside the region), jumps to
; the sequence, which ends with `jmp seq_return`, and prints one line:
;   S <index> EAX EBX ECX EDX ESP EBP ESI EDI EFLAGS <region checksum>
; An exception prints
;   F <index> <vector> <error code> CR2 EIP CS EFLAGS EAX EBX ECX EDX ESI EDI EBP
; and continues at [fault_resume] (the next sequence, or the next step of a
; system test) on the harness stack with flat segments. A fault with no
; resume point set prints "STOP" and ends the run. The run ends with "DONE"
; and a write to QEMU's isa-debug-exit port.
;
; All numbers are 8 hex digits. Printing preserves every register and EFLAGS.

bits 32

MULTIBOOT_MAGIC     equ 0x1BADB002
MULTIBOOT_FLAGS     equ 0                   ; ELF image: the loader reads program headers

COM1_DATA           equ 0x3F8
COM1_LSR            equ 0x3FD
LSR_THR_EMPTY       equ 0x20                ; 16550 LSR bit 5: transmit holding register empty
DEBUG_EXIT_PORT     equ 0xF4                ; QEMU isa-debug-exit: status = (value << 1) | 1
PIC1_DATA           equ 0x21
PIC2_DATA           equ 0xA1

; The scratch region: below 64 KiB so 16-bit addressing forms reach it, and
; across the page boundary at 0x8000 so accesses straddle two pages.
REGION              equ 0x7E00
REGION_BYTES        equ 0x400
SEQ_ESP             equ REGION + 0x3C0      ; sequences push below, and may pop 16 dwords above

; GDT selectors (see gdt below).
SEL_CODE0           equ 0x08
SEL_DATA0           equ 0x10
SEL_CODE3           equ 0x18
SEL_DATA3           equ 0x20
SEL_TSS             equ 0x28
SEL_DATA_ABSENT     equ 0x30                ; data segment with P = 0
SEL_CODE_EXEC_ONLY  equ 0x38                ; code segment, not readable
SEL_DATA_SMALL      equ 0x40                ; base REGION, limit 0xFFF, DPL 0
SEL_DATA_EXPDOWN    equ 0x48                ; expand-down, B = 1, limit 0xFFFF
SEL_CODE_READABLE   equ 0x50                ; readable code segment
SEL_DATA_SMALL3     equ 0x58                ; base REGION, limit 0xFFF, DPL 3
SEL_CODE16          equ 0x60                ; 16-bit code, base LOW_CODE, limit 0xFFFF
SEL_DATA16          equ 0x68                ; 16-bit data, base 0, limit 0xFFFF
SEL_SEQ_CODE16      equ 0x70                ; 16-bit code at seq16_base, for 16-bit sequence images
GDT_LIMIT_SELECTOR  equ 0x78                ; first selector past the GDT limit
LOW_CODE            equ 0x7000              ; where system.asm copies its 16-bit code

EFLAGS_IF           equ 0x200
EFLAGS_TF           equ 0x100

IDT_INTERRUPT_GATE  equ 0x8E                ; P, DPL 0, 32-bit interrupt gate
IDT_TRAP_GATE       equ 0x8F                ; P, DPL 0, 32-bit trap gate
IDT_USER_INT_GATE   equ 0xEE                ; P, DPL 3, 32-bit interrupt gate
IDT_ABSENT_GATE     equ 0x0E                ; P = 0

TSS_ESP0            equ 4
TSS_SS0             equ 8
TSS_IOMAP_BASE      equ 102
TSS_BYTES           equ 104
IOMAP_BYTES         equ 0x80                ; ports 0..0x3FF; the rest lies past the limit

; ---------------------------------------------------------------- printing

; PUTS 'text': print a constant string.
%macro PUTS 1
    jmp %%after
%%text: db %1, 0
%%after:
    push esi
    mov esi, %%text
    call print_str
    pop esi
%endmacro

; HEX operand: print a 32-bit value as 8 hex digits and a space. PUSH computes
; an ESP-based address before decrementing, so [esp + n] means what it says.
%macro HEX 1
    push dword %1
    call print_hex32_pushed
%endmacro

%macro NL 0
    call print_newline
%endmacro

section .text
align 4
multiboot_header:
    dd MULTIBOOT_MAGIC, MULTIBOOT_FLAGS, -(MULTIBOOT_MAGIC + MULTIBOOT_FLAGS)

global _start
_start:
    cli
    cld
    mov esp, harness_stack_top
    lgdt [gdt_descriptor]
    jmp SEL_CODE0:.flat
.flat:
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    call build_tss
    mov eax, seq16_base
    mov [gdt + SEL_SEQ_CODE16 + 2], ax
    shr eax, 16
    mov [gdt + SEL_SEQ_CODE16 + 4], al
    mov [gdt + SEL_SEQ_CODE16 + 7], ah
    call build_idt
    lidt [idt_descriptor]
    mov ax, SEL_TSS
    ltr ax
    ; Mask both 8259s: system tests run with IF = 1 and must see no ticks.
    mov al, 0xFF
    out PIC1_DATA, al
    out PIC2_DATA, al

    mov eax, SEQ_PAGING
    test eax, eax
    jz .sequences
    call enable_identity_paging
.sequences:
    call run_sequences
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    mov [harness_esp], esp
    call system_tests
    PUTS `DONE\n`
finish:
    mov al, 0
    out DEBUG_EXIT_PORT, al
.hang:
    hlt
    jmp .hang

; al = byte to send; waits for THR empty as a real 16550 requires.
serial_putc:
    pushfd
    push edx
    push eax
    mov dx, COM1_LSR
.wait:
    in al, dx
    test al, LSR_THR_EMPTY
    jz .wait
    pop eax
    mov dx, COM1_DATA
    out dx, al
    pop edx
    popfd
    ret

; esi = zero-terminated string.
print_str:
    pushfd
    push eax
    push esi
.next:
    mov al, [esi]
    test al, al
    jz .done
    call serial_putc
    inc esi
    jmp .next
.done:
    pop esi
    pop eax
    popfd
    ret

; eax = value.
print_hex32:
    pushfd
    pushad
    mov ebx, eax
    mov ecx, 8
.digit:
    rol ebx, 4
    mov eax, ebx
    and eax, 0xF
    mov al, [hex_digits + eax]
    call serial_putc
    loop .digit
    mov al, ' '
    call serial_putc
    popad
    popfd
    ret

; The value is the dword pushed before the call; it is popped on return.
print_hex32_pushed:
    push eax
    mov eax, [esp + 8]
    call print_hex32
    pop eax
    ret 4

print_newline:
    pushfd
    push eax
    mov al, `\n`
    call serial_putc
    pop eax
    popfd
    ret

; ---------------------------------------------------------------- descriptor tables

; Fill in the TSS descriptor's base and the TSS fields the tests use.
build_tss:
    mov eax, tss
    mov [gdt + SEL_TSS + 2], ax
    shr eax, 16
    mov [gdt + SEL_TSS + 4], al
    mov [gdt + SEL_TSS + 7], ah
    mov dword [tss + TSS_ESP0], ring0_stack_top
    mov dword [tss + TSS_SS0], SEL_DATA0
    mov word [tss + TSS_IOMAP_BASE], TSS_BYTES
    ; Deny every port below 0x400 to ring 3 except 0x80 (SDM 3A 19.5.2).
    mov edi, tss + TSS_BYTES
    mov ecx, IOMAP_BYTES + 1                ; plus the all-ones terminator byte
    mov al, 0xFF
    rep stosb
    and byte [tss + TSS_BYTES + 0x80 / 8], ~(1 << (0x80 % 8))
    ret

; eax = vector, edx = handler, cl = type/attribute byte.
set_idt_gate:
    push edi
    push edx
    lea edi, [idt + eax * 8]
    mov [edi], dx
    mov word [edi + 2], SEL_CODE0
    mov byte [edi + 4], 0
    mov [edi + 5], cl
    shr edx, 16
    mov [edi + 6], dx
    pop edx
    pop edi
    ret

; Vectors 0..31 go to the fault stubs; everything else stays absent.
build_idt:
    xor eax, eax
.exception:
    mov edx, [fault_stub_table + eax * 4]
    mov cl, IDT_INTERRUPT_GATE
    call set_idt_gate
    inc eax
    cmp eax, 32
    jb .exception
    ret

; Exceptions that push an error code (SDM 3A table 6-1).
%macro FAULT_STUB 1
fault_stub_%1:
%if %1 <> 8 && %1 <> 10 && %1 <> 11 && %1 <> 12 && %1 <> 13 && %1 <> 14 && %1 <> 17
    push 0
%endif
    push %1
    jmp fault_common
%endmacro

%assign vector 0
%rep 32
FAULT_STUB %[vector]
%assign vector vector + 1
%endrep

fault_common:
    pushad                                   ; edi esi ebp esp ebx edx ecx eax
    mov ax, SEL_DATA0                        ; the faulting code may have left DS unusable
    mov ds, ax
    mov es, ax
    PUTS 'F '
    HEX [cur_index]
    HEX [esp + 32]                           ; vector
    HEX [esp + 36]                           ; error code
    mov eax, cr2
    HEX eax
    HEX [esp + 40]                           ; EIP
    HEX [esp + 44]                           ; CS
    HEX [esp + 48]                           ; EFLAGS
    HEX [esp + 28]                           ; EAX
    HEX [esp + 16]                           ; EBX
    HEX [esp + 24]                           ; ECX
    HEX [esp + 20]                           ; EDX
    HEX [esp + 4]                            ; ESI
    HEX [esp + 0]                            ; EDI
    HEX [esp + 8]                            ; EBP
    NL
    mov eax, [fault_resume]
    test eax, eax
    jz .unexpected
    ; A resume point is good for one fault: a second one means we are lost.
    mov dword [fault_resume], 0
    mov esp, [harness_esp]
    mov bx, SEL_DATA0
    mov ds, bx
    mov es, bx
    mov fs, bx
    mov gs, bx
    mov ss, bx
    cld
    jmp eax
.unexpected:
    PUTS `STOP\n`
    jmp finish

; ---------------------------------------------------------------- sequence runner

IDENTITY_TABLES     equ 2                   ; 4 KiB pages over the first 8 MiB
PTE_PRESENT_WRITABLE equ 0x3
CR0_PG              equ 0x80000000

; Identity-map the first 8 MiB with 4 KiB pages (SDM 3A 4.3) and turn paging on.
enable_identity_paging:
    mov edi, seq_page_tables
    mov eax, PTE_PRESENT_WRITABLE
    mov ecx, IDENTITY_TABLES * 1024
.entry:
    stosd
    add eax, 0x1000
    loop .entry
    mov edi, seq_page_directory
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov eax, seq_page_tables + PTE_PRESENT_WRITABLE
    mov [seq_page_directory], eax
    add eax, 0x1000
    mov [seq_page_directory + 4], eax
    mov eax, seq_page_directory
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp .paged
.paged:
    ret

SEQ_RECORD_DWORDS   equ 10                  ; entry eax ebx ecx edx esi edi ebp eflags seed
REC_ENTRY           equ 0
REC_EAX             equ 4
REC_EBX             equ 8
REC_ECX             equ 12
REC_EDX             equ 16
REC_ESI             equ 20
REC_EDI             equ 24
REC_EBP             equ 28
REC_EFLAGS          equ 32
REC_SEED            equ 36

run_sequences:
    mov dword [cur_index], 0
.next:
    mov eax, [cur_index]
    cmp eax, SEQ_COUNT
    jae .done
    imul esi, eax, SEQ_RECORD_DWORDS * 4
    add esi, seq_table
    mov edi, cur_record
    mov ecx, SEQ_RECORD_DWORDS
    rep movsd
    ; Numerical Recipes LCG: cheap, and the same bytes on every machine.
    mov eax, [cur_record + REC_SEED]
    mov edi, REGION
    mov ecx, REGION_BYTES / 4
.fill:
    imul eax, eax, 1664525
    add eax, 1013904223
    stosd
    loop .fill
    mov eax, [cur_record + REC_ENTRY]
    mov [seq_far_entry], eax
    mov word [seq_far_entry + 4], SEQ_ENTRY_SELECTOR
    mov [harness_esp], esp
    mov dword [fault_resume], seq_faulted
    mov esp, SEQ_ESP
    push dword [cur_record + REC_EFLAGS]
    popfd
    mov eax, [cur_record + REC_EAX]
    mov ebx, [cur_record + REC_EBX]
    mov ecx, [cur_record + REC_ECX]
    mov edx, [cur_record + REC_EDX]
    mov esi, [cur_record + REC_ESI]
    mov edi, [cur_record + REC_EDI]
    mov ebp, [cur_record + REC_EBP]
    jmp far [seq_far_entry]
.done:
    ret

; Every sequence ends here, with MOVs only until EFLAGS is saved.
seq_return:
    mov [result_eax], eax
    mov [result_ebx], ebx
    mov [result_ecx], ecx
    mov [result_edx], edx
    mov [result_esp], esp
    mov [result_ebp], ebp
    mov [result_esi], esi
    mov [result_edi], edi
    mov esp, [harness_esp]
    pushfd
    pop dword [result_eflags]
    cld
    mov dword [fault_resume], 0
    PUTS 'S '
    HEX [cur_index]
    HEX [result_eax]
    HEX [result_ebx]
    HEX [result_ecx]
    HEX [result_edx]
    HEX [result_esp]
    HEX [result_ebp]
    HEX [result_esi]
    HEX [result_edi]
    HEX [result_eflags]
    call region_checksum
    call print_hex32
    NL
    inc dword [cur_index]
    jmp run_sequences.next

; Also where jos86-runner.ts resumes after a host exception, with only ESP restored.
seq_faulted:
    cld
    inc dword [cur_index]
    jmp run_sequences.next

; eax = rotate-xor hash of the region; a moved or changed dword changes it.
region_checksum:
    push ecx
    push esi
    xor eax, eax
    mov esi, REGION
    mov ecx, REGION_BYTES / 4
.word:
    rol eax, 5
    xor eax, [esi]
    add esi, 4
    loop .word
    pop esi
    pop ecx
    ret

%include "body.inc"

section .data
align 8
hex_digits: db '0123456789ABCDEF'

; Flat 4 GiB segments for rings 0 and 3, plus the odd ones the system tests
; load on purpose (SDM 3A 3.4.5: limit 15:0, base 23:0, access, flags|limit 19:16, base 31:24).
; Code descriptors start with the accessed bit set: QEMU's TCG does not set
; it when loading CS, as the SDM says a CPU does, so it would differ.
align 8
gdt:
    dq 0
    dw 0xFFFF, 0x0000, 0x9B00, 0x00CF       ; 0x08 ring 0 code, execute/read
    dw 0xFFFF, 0x0000, 0x9200, 0x00CF       ; 0x10 ring 0 data, read/write
    dw 0xFFFF, 0x0000, 0xFB00, 0x00CF       ; 0x18 ring 3 code
    dw 0xFFFF, 0x0000, 0xF200, 0x00CF       ; 0x20 ring 3 data
    dw TSS_BYTES + IOMAP_BYTES, 0x0000, 0x8900, 0x0000 ; 0x28 TSS (base filled in by build_tss)
    dw 0xFFFF, 0x0000, 0x1200, 0x00CF       ; 0x30 data, not present
    dw 0xFFFF, 0x0000, 0x9900, 0x00CF       ; 0x38 code, execute-only
    dw 0x0FFF, REGION, 0x9200, 0x0040       ; 0x40 data at REGION, byte-granular limit 0xFFF
    dw 0xFFFF, 0x0000, 0x9600, 0x0040       ; 0x48 data, expand-down, B = 1, limit 0xFFFF
    dw 0xFFFF, 0x0000, 0x9B00, 0x00CF       ; 0x50 code, execute/read
    dw 0x0FFF, REGION, 0xF200, 0x0040       ; 0x58 data at REGION, limit 0xFFF, DPL 3
    dw 0xFFFF, LOW_CODE, 0x9B00, 0x0000     ; 0x60 16-bit code at LOW_CODE
    dw 0xFFFF, 0x0000, 0x9300, 0x0000       ; 0x68 16-bit data
    dw 0xFFFF, 0x0000, 0x9B00, 0x0000       ; 0x70 16-bit code (base filled in at start)
gdt_end:

gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt

idt_descriptor:
    dw 256 * 8 - 1
    dd idt

fault_stub_table:
%assign vector 0
%rep 32
    dd fault_stub_%[vector]
%assign vector vector + 1
%endrep

section .bss
alignb 4096
seq_page_directory: resb 4096
seq_page_tables: resb IDENTITY_TABLES * 4096
idt:            resb 256 * 8
tss:            resb TSS_BYTES + IOMAP_BYTES + 1
alignb 16
cur_index:      resd 1
cur_record:     resd SEQ_RECORD_DWORDS
seq_far_entry:  resd 2                      ; offset, selector
harness_esp:    resd 1
fault_resume:   resd 1
result_eax:     resd 1
result_ebx:     resd 1
result_ecx:     resd 1
result_edx:     resd 1
result_esp:     resd 1
result_ebp:     resd 1
result_esi:     resd 1
result_edi:     resd 1
result_eflags:  resd 1
alignb 16
                resb 8192
harness_stack_top:
                resb 4096
ring0_stack_top:
