; Hand-written system tests for the differential CPU test, included into
; harness.asm (whose macros, selectors and fault handler they use).
;
; Each test announces itself with a "T <name>" line. A block between BEGIN
; and END either completes, printing "ok EAX EBX ECX EDX", or faults, and
; the harness prints its "F ..." line (vector, error code, CR2, EIP, CS,
; EFLAGS, registers) and resumes after END. Ring-3 blocks (USER) come back
; to ring 0 through INT 0x40, whose handler prints the frame it received.
; QEMU's transcript is the reference, so every line here must be something
; the SDM defines: no undefined flags, no uninitialised memory. QEMU's TCG
; does not check segment limits or segment types on ordinary memory
; accesses (only when a selector is loaded), so per-access limit, null-
; segment and write-to-code checks are not here: jos86's own unit tests in
; test/cpu cover them against the SDM.
;
; Sections of Intel SDM vol. 3A followed: 3.4-3.5 and 5.5-5.8 (segment
; loads and privilege checks), 6.12-6.15 (gates, exceptions, error codes),
; 4.3 and 4.7-4.8 (32-bit paging, #PF error code, accessed/dirty bits),
; 19.5 (I/O permission bitmap), 7.3-7.4 and table 7-1 (task switching).

SYSTEM_SEED         equ 0x5EED0001
USER_VECTOR         equ 0x40                ; DPL 3 interrupt gate: ring 3 -> ring 0
KERNEL_ONLY_VECTOR  equ 0x41                ; DPL 0 gate: INT from ring 3 is #GP
INT_GATE_VECTOR     equ 0x30
TRAP_GATE_VECTOR    equ 0x31
ABSENT_VECTOR       equ 0x50

PAGE_P              equ 0x001
PAGE_RW             equ 0x002
PAGE_US             equ 0x004
PAGE_ACCESSED       equ 0x020
PAGE_DIRTY          equ 0x040
PAGE_PS             equ 0x080
CR0_WP              equ 0x00010000
CR0_PG              equ 0x80000000
CR4_PSE             equ 0x10

; LAR's 32-bit result is the descriptor's second dword masked by 00FxFF00H:
; bits 19:16 (the limit's top) are undefined, and emulators differ there.
LAR_DEFINED_BITS    equ 0xFFF0FFFF

TEST_NP             equ 0x300000            ; not present
TEST_RO             equ 0x301000            ; present, user, read-only
TEST_SUP            equ 0x302000            ; present, supervisor, read/write
TEST_AD             equ 0x303000            ; present, user, read/write: accessed/dirty bits
TEST_PAGES_BYTES    equ 0x4000
NO_TABLE            equ 0x400000            ; its page-directory entry is not present
ALIAS_4M            equ 0x800000            ; a 4 MiB page mapping physical 0

%macro TEST 1
    PUTS {'T ', %1, 10}
%endmacro

; BEGIN: clear the arithmetic flags (so every printed EFLAGS is defined) and
; arm the fault handler to resume at the matching END.
%macro BEGIN 0
    %push probe
    mov dword [fault_resume], %$resume
    push dword 2
    popfd
%endmacro

%macro END 0
    mov dword [ss:fault_resume], 0
    call flat_data_segments
    PUTS 'ok '
    HEX eax
    HEX ebx
    HEX ecx
    HEX edx
    NL
%$resume:
    %pop
%endmacro

; USER label: run `label` in ring 3; it ends with INT USER_VECTOR or a fault.
%macro USER 1
    %push user
    mov dword [fault_resume], %$resume
    mov eax, %1
    jmp enter_user
%$resume:
    %pop
%endmacro

section .text

flat_data_segments:
    push eax
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    pop eax
    ret

; eax = ring-3 entry point. Builds the IRET frame for a return to ring 3
; (SDM 3A 6.12.1: SS, ESP, EFLAGS, CS, EIP).
enter_user:
    push dword SEL_DATA3 | 3
    push dword user_stack_top
    push dword EFLAGS_IF | 2
    push dword SEL_CODE3 | 3
    push eax
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    iretd

; INT 0x40 from ring 3: print the registers the user code left and the frame
; the CPU pushed on the TSS's ring-0 stack, then resume the test.
user_return:
    mov ebp, esp
    mov di, SEL_DATA0                         ; user DS may be null
    mov ds, di
    mov es, di
    PUTS 'ring3 '
    HEX eax
    HEX ebx
    HEX ecx
    HEX edx
    HEX esi
    HEX [ebp]                                 ; EIP
    HEX [ebp + 4]                             ; CS
    HEX [ebp + 8]                             ; EFLAGS
    HEX [ebp + 12]                            ; ESP
    HEX [ebp + 16]                            ; SS
    HEX ebp                                   ; where the frame landed: ESP0 - 20
    NL
    mov eax, [fault_resume]
    mov dword [fault_resume], 0
    mov esp, [harness_esp]
    call flat_data_segments
    mov bx, SEL_DATA0
    mov ss, bx
    jmp eax

; INT 0x30 / 0x31: report EFLAGS inside the handler and in the frame.
gate_probe:
    pushfd
    pop ebx                                   ; IF inside: cleared by an interrupt gate only
    mov ecx, [esp]                            ; return EIP
    mov edx, [esp + 8]                        ; EFLAGS pushed
    iretd

far_target:
    mov eax, [esp + 4]                        ; the CS the far CALL pushed
    mov ebx, [esp]
    sub ebx, far_return_point                 ; 0 when the pushed EIP is right
    retf

system_tests:
    mov [harness_esp], esp
    ; Known contents for everything the tests read.
    mov eax, SYSTEM_SEED
    mov edi, REGION
    mov ecx, 0x1000 / 4
.fill:
    imul eax, eax, 1664525
    add eax, 1013904223
    stosd
    loop .fill
    mov edi, TEST_NP
    mov ecx, TEST_PAGES_BYTES / 4
.fill_pages:
    lea eax, [edi + 0x11]
    stosd
    loop .fill_pages
    mov eax, USER_VECTOR
    mov edx, user_return
    mov cl, IDT_USER_INT_GATE
    call set_idt_gate
    mov eax, KERNEL_ONLY_VECTOR
    mov cl, IDT_INTERRUPT_GATE
    call set_idt_gate
    mov eax, INT_GATE_VECTOR
    mov edx, gate_probe
    call set_idt_gate
    mov eax, TRAP_GATE_VECTOR
    mov cl, IDT_TRAP_GATE
    call set_idt_gate
    mov eax, ABSENT_VECTOR
    mov cl, IDT_ABSENT_GATE
    call set_idt_gate
    xor eax, eax
    xor ebx, ebx
    xor ecx, ecx
    xor edx, edx
    xor esi, esi
    xor edi, edi
    xor ebp, ebp

    call segment_tests
    call descriptor_instruction_tests
    call exception_tests
    call gate_tests
    call ring3_tests
    call mode_tests
    call paging_tests
    call task_tests
    ret

; ---------------------------------------------------------------- segments

segment_tests:
    mov [harness_esp], esp

    TEST 'accessed bit: before and after loading DS'
    BEGIN
    movzx eax, byte [gdt + SEL_DATA_SMALL + 5]
    mov bx, SEL_DATA_SMALL
    mov ds, bx
    movzx ebx, byte [ss:gdt + SEL_DATA_SMALL + 5]
    mov ecx, [0xFFC]                          ; last dword inside the limit
    mov edx, [0]
    END

    TEST 'DS null: the load is fine at CPL 0'
    BEGIN
    xor eax, eax
    mov ds, ax
    mov eax, [ss:REGION]
    mov bx, ds
    END

    TEST 'DS past the GDT limit: #GP(selector)'
    BEGIN
    mov ax, GDT_LIMIT_SELECTOR | 3
    mov ds, ax
    END

    TEST 'DS not present: #NP(selector)'
    BEGIN
    mov ax, SEL_DATA_ABSENT
    mov es, ax
    END

    TEST 'DS execute-only code: #GP(selector)'
    BEGIN
    mov ax, SEL_CODE_EXEC_ONLY
    mov fs, ax
    END

    TEST 'GS readable code: the load and a read are fine'
    BEGIN
    mov ax, SEL_CODE_READABLE
    mov gs, ax
    mov eax, [gs:REGION]
    END

    TEST 'SS with RPL 3 at CPL 0: #GP(selector)'
    BEGIN
    mov ax, SEL_DATA3 | 3
    mov ss, ax
    END

    TEST 'SS null: #GP(0)'
    BEGIN
    xor eax, eax
    mov ss, ax
    END

    TEST 'SS readable code: #GP(selector)'
    BEGIN
    mov ax, SEL_CODE_READABLE
    mov ss, ax
    END

    TEST 'ES expand-down: load and a read above the limit'
    BEGIN
    mov ax, SEL_DATA_EXPDOWN
    mov es, ax
    mov eax, [es:hex_digits]
    mov bx, es
    END

    TEST 'LDS/LES/LFS/LGS/LSS from far pointers'
    BEGIN
    lds eax, [ss:far_pointer_small]
    mov ebx, [0x10]
    mov cx, ds
    les edx, [ss:far_pointer_flat]
    lfs esi, [ss:far_pointer_flat]
    lgs edi, [ss:far_pointer_flat]
    mov dx, gs
    END

    TEST 'far CALL/RETF and far JMP through memory'
    BEGIN
    call SEL_CODE0:far_target
far_return_point:
    jmp far [far_jump_target]
    mov eax, 0xBAD
far_jump_landing:
    mov ecx, cs
    END
    ret

; ---------------------------------------------------------------- LAR, LSL, VERR, VERW, SGDT...

descriptor_instruction_tests:
    mov [harness_esp], esp
    TEST 'LAR LSL VERR VERW over the GDT'
    mov esi, probe_selectors
.next:
    movzx ecx, word [esi]
    cmp ecx, 0xFFFF
    je .done
    push dword 2
    popfd
    mov eax, 0xA5A5A5A5
    mov ebx, 0x5A5A5A5A
    lar eax, cx
    pushfd
    pop edx
    and eax, LAR_DEFINED_BITS
    lsl ebx, ecx
    pushfd
    pop ebp
    HEX ecx
    HEX eax
    HEX edx
    HEX ebx
    HEX ebp
    push dword 2
    popfd
    verr cx
    pushfd
    pop eax
    push dword 2
    popfd
    verw cx
    pushfd
    pop ebx
    HEX eax
    HEX ebx
    NL
    add esi, 2
    jmp .next
.done:

    TEST 'SGDT SIDT STR SLDT SMSW'
    BEGIN
    sgdt [REGION + 0x800]
    sidt [REGION + 0x808]
    mov eax, [REGION + 0x800]
    mov ebx, [REGION + 0x804]
    mov ecx, [REGION + 0x808]
    mov edx, [REGION + 0x80C]
    str si
    sldt di
    smsw bp
    and ebp, 0xFFFF
    HEX esi
    HEX edi
    HEX ebp
    END
    ret

; ---------------------------------------------------------------- exceptions

exception_tests:
    mov [harness_esp], esp

    TEST '#DE: DIV by zero'
    BEGIN
    mov eax, 1
    xor edx, edx
    xor ecx, ecx
    div ecx
    END

    TEST '#DE: IDIV overflow (0x80000000 / -1)'
    BEGIN
    mov eax, 0x80000000
    mov edx, 0xFFFFFFFF
    mov ecx, 0xFFFFFFFF
    idiv ecx
    END

    TEST '#DE: 8-bit DIV quotient too big'
    BEGIN
    mov eax, 0x1000
    mov ebx, 2
    div bl
    END

    TEST '#DE: AAM 0'
    BEGIN
    mov eax, 0x1234
    db 0xD4, 0x00                             ; aam 0
    END

    TEST '#UD: UD2'
    BEGIN
    ud2
    END

    TEST '#UD: LOCK on a non-lockable instruction'
    BEGIN
    db 0xF0, 0x90                             ; lock nop
    END

    TEST '#UD: MOV CS, r16'
    BEGIN
    mov eax, SEL_CODE0
    db 0x8E, 0xC8                             ; mov cs, ax
    END

    TEST '#UD: LEA with a register operand'
    BEGIN
    db 0x8D, 0xC0                             ; lea eax, eax
    END

    TEST '#UD: FE /7'
    BEGIN
    db 0xFE, 0xF8
    END

    TEST 'BOUND in range'
    BEGIN
    mov eax, 15
    bound eax, [bounds32]
    mov ebx, 0x7FFF
    bound bx, [bounds16]
    END

    TEST '#BR: BOUND above the upper bound'
    BEGIN
    mov eax, 21
    bound eax, [bounds32]
    END

    TEST '#BR: 16-bit BOUND below the lower bound'
    BEGIN
    mov ebx, 0x12348000
    bound bx, [bounds16]
    END

    TEST 'INTO with OF clear'
    BEGIN
    into
    END

    TEST '#OF: INTO with OF set (a trap: EIP after INTO)'
    BEGIN
    push dword 0x802
    popfd
    into
    END

    TEST '#BP: INT3 and INT 3 (traps)'
    BEGIN
    int3
    END
    BEGIN
    int 3
    END

    TEST '#DB: single step after POPF sets TF'
    BEGIN
    mov eax, 0
    pushfd
    or dword [esp], EFLAGS_TF
    popfd
    mov eax, 1
    mov eax, 2
    END

    TEST '#NP: INT through a not-present gate'
    BEGIN
    int ABSENT_VECTOR
    END
    ret

; ---------------------------------------------------------------- gates

gate_tests:
    mov [harness_esp], esp
    TEST 'interrupt gate clears IF, trap gate keeps it'
    BEGIN
    sti
    int INT_GATE_VECTOR
    mov esi, ebx
    int TRAP_GATE_VECTOR
    cli
    mov eax, esi
    END
    ret

; ---------------------------------------------------------------- ring 3

ring3_tests:
    mov [harness_esp], esp
    TEST 'IRET to ring 3 nulls DS/ES; INT 0x40 back through the TSS stack'
    USER user_round_trip
    TEST 'ring 3: CLI is #GP(0)'
    USER user_cli
    TEST 'ring 3: HLT is #GP(0)'
    USER user_hlt
    TEST 'ring 3: I/O port allowed by the TSS bitmap'
    USER user_port_allowed
    TEST 'ring 3: I/O port denied by the TSS bitmap'
    USER user_port_denied
    TEST 'ring 3: loading a DPL 0 data segment is #GP(selector)'
    USER user_load_kernel_data
    TEST 'ring 3: INT through a DPL 0 gate is #GP(vector*8+2)'
    USER user_kernel_gate
    TEST 'ring 3: SS with DPL 3 and a small limit loads'
    USER user_small_stack
    TEST 'ring 3: SS with DPL 0 is #GP(selector)'
    USER user_kernel_stack
    ret

user_round_trip:
    mov eax, ds
    mov ebx, es
    mov ecx, cs
    mov edx, ss
    mov esi, esp
    int USER_VECTOR

user_cli:
    cli
    int USER_VECTOR

user_hlt:
    hlt
    int USER_VECTOR

user_port_allowed:
    in al, 0x80
    mov eax, 0x80                             ; what the port returns is not compared
    int USER_VECTOR

user_port_denied:
    in al, 0x81
    int USER_VECTOR

user_load_kernel_data:
    mov ax, SEL_DATA0
    mov ds, ax
    int USER_VECTOR

user_kernel_gate:
    int KERNEL_ONLY_VECTOR

user_small_stack:
    mov ax, SEL_DATA_SMALL3 | 3
    mov ss, ax
    mov esp, 0x1000
    push dword 0x1234                         ; lands at REGION + 0xFFC
    pop ebx
    int USER_VECTOR

user_kernel_stack:
    mov ax, SEL_DATA0 | 3
    mov ss, ax
    int USER_VECTOR

; ---------------------------------------------------------------- 16-bit and real mode

LOW_STACK_TOP       equ 0x6FF0
MODE_RESULTS        equ REGION + 0x200      ; below 64 KiB: reachable from every mode
MODE_RESULT_DWORDS  equ 8
REAL_VECTOR         equ 0x60

; Copy the 16-bit code below 64 KiB, run it in a 16-bit protected-mode code
; segment, drop to real mode (SDM 3A 9.9.2), come back, print what it stored.
mode_tests:
    mov [harness_esp], esp
    mov esi, low_code
    mov edi, LOW_CODE
    mov ecx, low_code_end - low_code
    rep movsb
    mov edi, MODE_RESULTS
    mov ecx, MODE_RESULT_DWORDS
    xor eax, eax
    rep stosd
    TEST '16-bit protected mode, real mode (IVT interrupt, far call, LOOP) and back'
    jmp SEL_CODE16:0
mode_tests_back:
    ; The data caches still hold real-mode 64 KiB limits: reload before any access.
    mov ax, SEL_DATA0
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    lidt [idt_descriptor]
    mov esp, [harness_esp]
    mov esi, MODE_RESULTS
    mov ecx, MODE_RESULT_DWORDS
.print:
    HEX [esi]
    add esi, 4
    loop .print
    NL
    ret

bits 16
; Offsets in here are relative to low_code: CS bases are LOW_CODE in both modes.
low_code:
    ; 16-bit protected mode: 16-bit operands and addresses unless prefixed.
    mov ax, 0x1234
    push ax
    pop bx
    mov [MODE_RESULTS + 0], bx
    mov ecx, 0x12345678
    add cx, bx
    pushf
    pop word [MODE_RESULTS + 2]
    mov [MODE_RESULTS + 4], ecx
    ; 64 KiB segments in every data register, then clear PE.
    mov ax, SEL_DATA16
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov sp, LOW_STACK_TOP
    mov eax, cr0
    and eax, ~1
    mov cr0, eax
    jmp (LOW_CODE >> 4):(.real - low_code)
.real:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, LOW_STACK_TOP
    ; Real mode also indexes the IDTR: point it at the IVT at 0 (SDM 3A 20.1.4).
    o32 lidt [cs:.ivt_descriptor - low_code]
    mov word [REAL_VECTOR * 4], .interrupt - low_code
    mov word [REAL_VECTOR * 4 + 2], LOW_CODE >> 4
    push word 0x08D7
    popf
    int REAL_VECTOR
    mov ax, (REGION >> 4) - 1                ; FS base REGION - 0x10: [fs:0x10] is REGION
    mov fs, ax
    mov ax, [fs:0x10]
    mov [MODE_RESULTS + 14], ax
    mov eax, 0x89ABCDEF
    rol eax, 8
    mov [MODE_RESULTS + 16], eax
    call (LOW_CODE >> 4):(.far - low_code)
    mov cx, 5
    xor dx, dx
.loop:
    add dx, cx
    loop .loop
    mov [MODE_RESULTS + 20], dx
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword SEL_CODE0:mode_tests_back
.interrupt:
    mov bp, sp
    mov ax, [bp]                              ; IP after INT
    mov [MODE_RESULTS + 8], ax
    mov ax, [bp + 2]                          ; CS
    mov [MODE_RESULTS + 10], ax
    mov ax, [bp + 4]                          ; FLAGS
    mov [MODE_RESULTS + 12], ax
    iret
.far:
    mov bp, sp
    mov ax, [bp + 2]                          ; CS pushed by the far call
    mov [MODE_RESULTS + 22], ax
    retf
.ivt_descriptor:
    dw 0x3FF
    dd 0
low_code_end:
bits 32

; ---------------------------------------------------------------- paging

paging_tests:
    mov [harness_esp], esp
    ; Identity-map the first 4 MiB with 4 KiB pages, user and writable,
    ; except the four test pages; no table for 4-8 MiB; 8-12 MiB is one
    ; 4 MiB page onto physical 0.
    mov edi, page_table
    mov eax, PAGE_P | PAGE_RW | PAGE_US
    mov ecx, 1024
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov dword [page_table + (TEST_NP >> 12) * 4], TEST_NP
    mov dword [page_table + (TEST_RO >> 12) * 4], TEST_RO | PAGE_P | PAGE_US
    mov dword [page_table + (TEST_SUP >> 12) * 4], TEST_SUP | PAGE_P | PAGE_RW
    mov edi, page_directory
    xor eax, eax
    mov ecx, 1024
    rep stosd
    mov eax, page_table
    or eax, PAGE_P | PAGE_RW | PAGE_US
    mov [page_directory], eax
    mov dword [page_directory + (ALIAS_4M >> 22) * 4], PAGE_PS | PAGE_P | PAGE_RW | PAGE_US
    mov eax, page_directory
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    jmp .paged
.paged:

    TEST 'paging on: identity-mapped read'
    BEGIN
    mov eax, [REGION]
    mov ebx, [TEST_AD]
    END

    TEST '#PF: read of a not-present page'
    BEGIN
    mov eax, [TEST_NP + 0x20]
    END

    TEST '#PF: write to a not-present page'
    BEGIN
    mov eax, 0x77
    mov [TEST_NP + 0x10], eax
    END

    TEST '#PF: dword straddling into a not-present page'
    BEGIN
    mov eax, [TEST_NP - 2]
    END

    TEST '#PF: dword straddling out of a not-present page'
    BEGIN
    mov eax, [TEST_RO - 2]
    END

    TEST '#PF: no page table'
    BEGIN
    mov eax, [NO_TABLE + 0x123]
    END

    TEST 'write to a read-only page at CPL 0 with CR0.WP clear'
    BEGIN
    mov dword [TEST_RO + 8], 0xC0FFEE
    mov eax, [TEST_RO + 8]
    END

    TEST '#PF: read-modify-write of a read-only page with CR0.WP set'
    mov eax, cr0
    or eax, CR0_WP
    mov cr0, eax
    BEGIN
    mov eax, 5
    add [TEST_RO + 8], eax
    END
    mov eax, cr0
    and eax, ~CR0_WP
    mov cr0, eax

    TEST 'accessed and dirty bits'
    BEGIN
    mov eax, [page_table + (TEST_AD >> 12) * 4]
    mov ecx, [TEST_AD]
    mov ebx, [page_table + (TEST_AD >> 12) * 4]
    mov [TEST_AD + 4], ecx
    mov edx, [page_table + (TEST_AD >> 12) * 4]
    mov esi, [page_directory]
    HEX esi
    END

    TEST '4 MiB page (CR4.PSE) aliasing physical 0'
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    BEGIN
    mov eax, [ALIAS_4M + REGION]
    mov dword [ALIAS_4M + REGION + 4], 0x4D4D4D4D
    mov ebx, [REGION + 4]
    mov ecx, [page_directory + (ALIAS_4M >> 22) * 4]
    mov edx, [REGION]
    END

    TEST 'INVLPG and a CR3 reload pick up changed entries'
    BEGIN
    mov eax, [TEST_AD]                        ; now in the TLB
    mov dword [page_table + (TEST_AD >> 12) * 4], (REGION & ~0xFFF) | PAGE_P | PAGE_RW | PAGE_US
    invlpg [TEST_AD]
    mov ebx, [TEST_AD + (REGION & 0xFFF)]     ; REGION's first dword
    mov dword [page_table + (TEST_AD >> 12) * 4], TEST_AD | PAGE_P | PAGE_RW | PAGE_US
    mov ecx, cr3
    mov cr3, ecx
    mov ecx, [TEST_AD]
    mov edx, [REGION]
    END

    TEST '#PF: REP MOVSB into a not-present page stops with the registers where it faulted'
    BEGIN
    cld
    mov esi, REGION
    mov edi, TEST_NP - 8
    mov ecx, 16
    rep movsb
    END

    TEST '#PF: REP MOVSB from a not-present page faults on the source, leaving the destination untouched'
    and dword [page_table + (TEST_AD >> 12) * 4], ~(PAGE_ACCESSED | PAGE_DIRTY)
    invlpg [TEST_AD]
    BEGIN
    cld
    mov esi, TEST_NP + 0x100
    mov edi, TEST_AD + 0x10
    mov ecx, 16
    rep movsb
    END

    TEST '#PF: REP MOVSB from and to not-present pages reports the source'
    BEGIN
    cld
    mov esi, TEST_NP + 0x200
    mov edi, NO_TABLE + 0x10
    mov ecx, 16
    rep movsb
    END

    TEST 'the destination page of the faulting REP MOVSB is neither accessed nor dirty'
    BEGIN
    mov eax, [page_table + (TEST_AD >> 12) * 4]
    END

    TEST 'ring 3: read of a supervisor page is #PF(5)'
    USER user_read_supervisor
    TEST 'ring 3: write to a read-only page is #PF(7)'
    USER user_write_read_only
    TEST 'ring 3: read of a not-present page is #PF(4)'
    USER user_read_absent
    TEST 'ring 3: read of a read-only user page is fine'
    USER user_read_read_only

    ; Back to flat physical addressing for whatever follows.
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    jmp .unpaged
.unpaged:
    xor eax, eax
    mov cr4, eax
    ret

; IRET to ring 3 left DS null (its DPL 0 was below CPL 3): load a user one.
%macro USER_DATA_SEGMENTS 0
    mov ax, SEL_DATA3 | 3
    mov ds, ax
    mov es, ax
%endmacro

user_read_supervisor:
    USER_DATA_SEGMENTS
    mov eax, [TEST_SUP]
    int USER_VECTOR

user_write_read_only:
    USER_DATA_SEGMENTS
    mov dword [TEST_RO + 12], 1
    int USER_VECTOR

user_read_absent:
    USER_DATA_SEGMENTS
    mov eax, [TEST_NP]
    int USER_VECTOR

user_read_read_only:
    USER_DATA_SEGMENTS
    mov eax, [TEST_RO]
    mov esi, [TEST_RO + 8]
    int USER_VECTOR

section .data
align 4
bounds32:           dd 10, 20
bounds16:           dw 0x7000, 0x7FFF
far_pointer_small:  dd 0x10
                    dw SEL_DATA_SMALL
far_pointer_flat:   dd 0x12345678
                    dw SEL_DATA0
far_jump_target:    dd far_jump_landing
                    dw SEL_CODE0
probe_selectors:
    dw 0x00, SEL_CODE0, SEL_DATA0, SEL_CODE3 | 3, SEL_DATA3 | 3, SEL_TSS, SEL_DATA_ABSENT
    dw SEL_CODE_EXEC_ONLY, SEL_DATA_SMALL, SEL_DATA_EXPDOWN, SEL_CODE_READABLE, SEL_DATA_SMALL3 | 3
    ; No LDT selector: QEMU reads a null LDTR's "table" instead of failing the check.
    dw GDT_LIMIT_SELECTOR, 0xFFFF

section .bss
alignb 4096
page_directory:     resb 4096
page_table:         resb 4096
                    resb 4096
user_stack_top:

; ---------------------------------------------------------------- task switching

; The task tests run on a copy of the harness GDT with task descriptors
; appended, so the harness's own selectors (and GDT_LIMIT_SELECTOR) stay put.
; The main task is the harness TSS (SEL_TSS, busy since LTR); tasks A and B
; are ring-0 tasks with flat segments on their own stacks. QEMU sets no
; accessed bits when a task switch loads segments, so every descriptor a new
; task loads already has its accessed bit set.
TASK_SEL_A          equ GDT_LIMIT_SELECTOR         ; 32-bit TSS
TASK_SEL_B          equ GDT_LIMIT_SELECTOR + 0x08  ; 32-bit TSS
TASK_GATE_A         equ GDT_LIMIT_SELECTOR + 0x10  ; task gate to A, DPL 0
TASK_SEL_SHORT      equ GDT_LIMIT_SELECTOR + 0x18  ; B's TSS with limit 0x66
TASK_SEL_16         equ GDT_LIMIT_SELECTOR + 0x20  ; 16-bit TSS
TASK_SEL_ABSENT     equ GDT_LIMIT_SELECTOR + 0x28  ; A's TSS, not present
TASK_GATE_BUSY      equ GDT_LIMIT_SELECTOR + 0x30  ; task gate to the busy main TSS
TASK_SEL_CODE_HIGH  equ GDT_LIMIT_SELECTOR + 0x38  ; flat code based at task_16's 64 KiB block
TASK_GDT_END        equ GDT_LIMIT_SELECTOR + 0x40
TASK_VECTOR         equ 0x32                       ; IDT task gate to A
TSS_LINK            equ 0x00
TSS_CR3             equ 0x1C
TSS_EIP             equ 0x20
TSS_EFLAGS          equ 0x24
TSS_EAX             equ 0x28
TSS_EBX             equ 0x34
TSS_ESP             equ 0x38
TSS_ES              equ 0x48
TSS_DS              equ 0x54
TSS16_BYTES         equ 0x2C
TYPE_TSS_AVAILABLE  equ 0x89                       ; present, DPL 0, 32-bit available TSS
TYPE_TSS16_AVAILABLE equ 0x81
TASK_A_STACK_TOP    equ REGION + 0x380
TASK_B_STACK_TOP    equ REGION + 0x300
EFLAGS_NT           equ 0x4000
CR0_TS              equ 0x8

section .text

; edi = descriptor, eax = base, ecx = limit (byte granular, below 1 MiB), dl = access byte.
set_system_descriptor:
    push eax
    mov [edi], cx
    mov [edi + 2], ax
    shr eax, 16
    mov [edi + 4], al
    mov [edi + 5], dl
    mov byte [edi + 6], 0
    mov [edi + 7], ah
    pop eax
    ret

; edi = TSS, eax = EIP, edx = ESP: a ring-0 task with flat segments, EFLAGS 2,
; and EBX = the TSS's address (so each task's registers are recognisable).
init_task_tss:
    push eax
    push edi
    mov ecx, TSS_BYTES / 4
    xor eax, eax
    rep stosd
    pop edi
    pop eax
    mov [edi + TSS_EIP], eax
    mov dword [edi + TSS_EFLAGS], 2
    mov [edi + TSS_EBX], edi
    mov [edi + TSS_ESP], edx
    mov dword [edi + TSS_ES], SEL_DATA0
    mov dword [edi + TSS_ES + 4], SEL_CODE0
    mov dword [edi + TSS_ES + 8], SEL_DATA0
    mov dword [edi + TSS_ES + 12], SEL_DATA0
    mov dword [edi + TSS_ES + 16], SEL_DATA0
    mov dword [edi + TSS_ES + 20], SEL_DATA0
    ret

; After a fault that left TR in another task: every TSS available again, TR
; back on the harness TSS, CR0.TS clear.
restore_main_task:
    and byte [task_gdt + SEL_TSS + 5], ~2
    and byte [task_gdt + TASK_SEL_A + 5], ~2
    and byte [task_gdt + TASK_SEL_B + 5], ~2
    mov ax, SEL_TSS
    ltr ax
    clts
    ret

; Print TR, the type bytes of the main, A and B TSS descriptors, and CR0.TS.
%macro TASK_STATE 0
    str bp
    and ebp, 0xFFFF
    HEX ebp
    movzx ebp, byte [task_gdt + SEL_TSS + 5]
    HEX ebp
    movzx ebp, byte [task_gdt + TASK_SEL_A + 5]
    HEX ebp
    movzx ebp, byte [task_gdt + TASK_SEL_B + 5]
    HEX ebp
    smsw bp
    and ebp, CR0_TS
    HEX ebp
%endmacro

; eax = IDT vector, bx = TSS selector: a DPL 0 task gate; the old gate goes to saved_gate.
set_idt_task_gate:
    push ecx
    mov ecx, [idt + eax * 8]
    mov [saved_gate], ecx
    mov ecx, [idt + eax * 8 + 4]
    mov [saved_gate + 4], ecx
    mov word [idt + eax * 8], 0
    mov [idt + eax * 8 + 2], bx
    mov dword [idt + eax * 8 + 4], 0x8500
    pop ecx
    ret

; eax = IDT vector: put back the gate set_idt_task_gate replaced.
restore_idt_gate:
    push ecx
    mov ecx, [saved_gate]
    mov [idt + eax * 8], ecx
    mov ecx, [saved_gate + 4]
    mov [idt + eax * 8 + 4], ecx
    pop ecx
    ret

task_tests:
    mov [harness_esp], esp
    mov esi, gdt
    mov edi, task_gdt
    mov ecx, GDT_LIMIT_SELECTOR
    rep movsb
    mov edi, task_gdt + TASK_SEL_A
    mov eax, task_tss_a
    mov ecx, TSS_BYTES - 1
    mov dl, TYPE_TSS_AVAILABLE
    call set_system_descriptor
    mov edi, task_gdt + TASK_SEL_B
    mov eax, task_tss_b
    call set_system_descriptor
    mov edi, task_gdt + TASK_SEL_SHORT
    mov ecx, TSS_BYTES - 2
    call set_system_descriptor
    mov edi, task_gdt + TASK_SEL_16
    mov eax, task_tss_16
    mov ecx, TSS16_BYTES - 1
    mov dl, TYPE_TSS16_AVAILABLE
    call set_system_descriptor
    mov edi, task_gdt + TASK_SEL_ABSENT
    mov eax, task_tss_a
    mov ecx, TSS_BYTES - 1
    mov dl, TYPE_TSS_AVAILABLE & 0x7F
    call set_system_descriptor
    mov dword [task_gdt + TASK_GATE_A], TASK_SEL_A << 16
    mov dword [task_gdt + TASK_GATE_A + 4], 0x8500
    mov dword [task_gdt + TASK_GATE_BUSY], SEL_TSS << 16
    mov dword [task_gdt + TASK_GATE_BUSY + 4], 0x8500
    mov edi, task_gdt + TASK_SEL_CODE_HIGH
    mov eax, task_16
    and eax, 0xFFFF0000
    mov ecx, 0xFFFF
    mov dl, 0x9B
    call set_system_descriptor
    mov byte [edi + 6], 0xCF                  ; 4 KiB granular, 32-bit
    lgdt [task_gdt_descriptor]

    TEST 'task switch: JMP to a TSS and back'
    mov edi, task_tss_a
    mov eax, task_jump_and_back
    mov edx, TASK_A_STACK_TOP
    call init_task_tss
    BEGIN
    mov eax, 0x11111111
    mov ecx, 0x33333333
    mov edx, 0x44444444
    mov esi, 0x55555555
    mov ebx, 0x22222222
    jmp TASK_SEL_A:0
task_jump_returned:
    TASK_STATE
    HEX [task_results]                        ; task A's EAX, EBX, ESP, TR and EFLAGS as it ran
    HEX [task_results + 4]
    HEX [task_results + 8]
    HEX [task_results + 12]
    HEX [task_results + 16]
    HEX [task_tss_a + TSS_EIP]                ; saved by its JMP back: the instruction after it
    HEX [task_tss_a + TSS_EAX]
    HEX [task_tss_a + TSS_EFLAGS]
    HEX [task_tss_a + TSS_LINK]
    END
    clts

    TEST 'task switch: CALL through a task gate nests; IRET returns; a second CALL resumes after the IRET'
    mov edi, task_tss_a
    mov eax, task_nested
    mov edx, TASK_A_STACK_TOP
    call init_task_tss
    mov dword [task_results + 20], 0
    BEGIN
    mov eax, 0x600DCA11
    call TASK_GATE_A:0
    pushfd
    pop ecx                                   ; NT clear again in the caller
    call TASK_GATE_A:0
    TASK_STATE
    HEX [task_results]                        ; the called task's EFLAGS (NT set)
    HEX [task_results + 4]                    ; its back-link
    HEX [task_results + 8]                    ; the caller's descriptor type byte, seen from inside
    HEX [task_results + 20]                   ; how many times it ran
    HEX [task_tss_a + TSS_EFLAGS]             ; saved by IRET with NT clear
    HEX [task_tss_a + TSS_EIP]
    END
    clts

    TEST 'task switch: INT n through an IDT task gate'
    mov edi, task_tss_a
    mov eax, task_nested
    mov edx, TASK_A_STACK_TOP
    call init_task_tss
    mov eax, TASK_VECTOR
    mov bx, TASK_SEL_A
    call set_idt_task_gate
    BEGIN
    mov eax, 0x12345678
    int TASK_VECTOR
    TASK_STATE
    HEX [task_results + 4]
    HEX [tss + TSS_EIP]                       ; the caller resumed after INT
    END
    mov eax, TASK_VECTOR
    call restore_idt_gate
    clts

    TEST 'task switch: #GP through an IDT task gate, error code on the new stack'
    mov edi, task_tss_b
    mov eax, task_fault_handler
    mov edx, TASK_B_STACK_TOP
    call init_task_tss
    mov eax, 13
    mov bx, TASK_SEL_B
    call set_idt_task_gate
    BEGIN
    mov ecx, 0xC0DEC0DE
    mov dword [task_fixup], task_gp_fixed
    mov ax, GDT_LIMIT_SELECTOR + 0x100
    mov ds, ax
    mov eax, 0xBAD
task_gp_fixed:
    TASK_STATE
    END
    mov eax, 13
    call restore_idt_gate
    clts

    TEST 'task switch: #DF through an IDT task gate (#GP while delivering #DE)'
    mov edi, task_tss_b
    mov eax, task_fault_handler
    mov edx, TASK_B_STACK_TOP
    call init_task_tss
    mov eax, 8
    mov bx, TASK_SEL_B
    call set_idt_task_gate
    mov ax, [idt + 2]
    mov [saved_de_selector], ax
    mov word [idt + 2], GDT_LIMIT_SELECTOR + 0x100
    BEGIN
    mov dword [task_fixup], task_df_fixed
    xor ecx, ecx
    mov eax, 1
    xor edx, edx
    div ecx
    mov eax, 0xBAD
task_df_fixed:
    TASK_STATE
    END
    mov ax, [saved_de_selector]
    mov [idt + 2], ax
    mov eax, 8
    call restore_idt_gate
    clts

    TEST 'task switch: JMP to the busy current TSS is #GP(selector)'
    BEGIN
    jmp SEL_TSS:0
    END
    TEST 'task switch: CALL to a TSS with limit 0x66 is #TS(selector)'
    BEGIN
    call TASK_SEL_SHORT:0
    END
    TEST 'task switch: JMP to a not-present TSS is #NP(selector)'
    BEGIN
    jmp TASK_SEL_ABSENT:0
    END
    TEST 'task switch: RPL 3 to a DPL 0 TSS is #GP(selector)'
    BEGIN
    jmp TASK_SEL_A | 3:0
    END
    TEST 'task switch: a task gate to a busy TSS is #GP(TSS selector)'
    BEGIN
    call TASK_GATE_BUSY:0
    END
    TEST 'task switch: IRET with NT to an available TSS is #TS(back-link)'
    BEGIN
    mov word [tss + TSS_LINK], TASK_SEL_A
    pushfd
    or dword [esp], EFLAGS_NT
    popfd
    iretd
    END
    mov word [tss + TSS_LINK], 0
    TASK_STATE
    NL

    ; Faults after the commit point: the SDM delivers them in the new task at
    ; its first instruction; QEMU reports the EIP of the old task's JMP or
    ; CALL instead (its TCG restores the faulting instruction's EIP), so
    ; these go to post_commit_fault, which prints the frame but its EIP.
    ; test/cpu/task.test.ts checks the EIP against the SDM.
    mov eax, 10
    mov edx, post_commit_fault
    mov cl, IDT_INTERRUPT_GATE
    call set_idt_gate
    mov eax, 11
    call set_idt_gate

    TEST 'task switch: a bad DS in the new TSS is #TS(DS) in the new task'
    mov edi, task_tss_a
    mov eax, task_jump_and_back
    mov edx, TASK_A_STACK_TOP
    call init_task_tss
    mov dword [task_tss_a + TSS_DS], GDT_LIMIT_SELECTOR + 0x100
    mov dword [post_commit_resume], .bad_ds_done
    jmp TASK_SEL_A:0
.bad_ds_done:
    call restore_main_task

    TEST 'task switch: a not-present ES in the new TSS is #NP(ES) in the new task'
    mov edi, task_tss_a
    mov eax, task_jump_and_back
    mov edx, TASK_A_STACK_TOP
    call init_task_tss
    mov dword [task_tss_a + TSS_ES], SEL_DATA_ABSENT
    mov dword [post_commit_resume], .absent_es_done
    call TASK_SEL_A:0
.absent_es_done:
    call restore_main_task

    mov eax, 10
    mov edx, [fault_stub_table + 10 * 4]
    call set_idt_gate
    mov eax, 11
    mov edx, [fault_stub_table + 11 * 4]
    call set_idt_gate

    TEST 'task switch: JMP to a 16-bit TSS and back'
    mov edi, task_tss_16
    mov ecx, TSS16_BYTES
    xor eax, eax
    rep stosb
    mov eax, task_16
    mov [task_tss_16 + 0x0E], ax              ; IP: task_16 within its 64 KiB block
    mov word [task_tss_16 + 0x10], 0x0002
    mov word [task_tss_16 + 0x12], 0x1616     ; AX
    mov word [task_tss_16 + 0x18], 0xB0B0     ; BX
    mov word [task_tss_16 + 0x1A], TASK_A_STACK_TOP ; SP
    mov word [task_tss_16 + 0x22], SEL_DATA0  ; ES
    mov word [task_tss_16 + 0x24], TASK_SEL_CODE_HIGH ; CS (a 32-bit code segment is fine)
    mov word [task_tss_16 + 0x26], SEL_DATA0  ; SS
    mov word [task_tss_16 + 0x28], SEL_DATA0  ; DS
    BEGIN
    mov eax, 0xABCD0000
    mov ebx, 0x99990000
    jmp TASK_SEL_16:0
task_16_returned:
    ; AX, BX, FS and SP in the 16-bit task: the SDM does not say what becomes
    ; of the upper register halves, so they are not compared.
    movzx ebp, word [task_results]
    HEX ebp
    movzx ebp, word [task_results + 4]
    HEX ebp
    HEX [task_results + 8]
    movzx ebp, word [task_results + 12]
    HEX ebp
    movzx ebp, word [task_tss_16 + 0x12]      ; AX saved as 16 bits
    HEX ebp
    movzx ebp, word [task_tss_16 + 0x0E]      ; IP saved
    HEX ebp
    movzx ebp, byte [task_gdt + TASK_SEL_16 + 5]
    HEX ebp
    END
    clts

    TEST 'task switch: CR3 from the new TSS, with a TLB flush each way'
    mov eax, cr4
    or eax, CR4_PSE
    mov cr4, eax
    mov edi, task_page_directory
    mov esi, page_directory
    mov ecx, 1024
    rep movsd
    mov dword [task_page_directory + (ALIAS_4M >> 22) * 4], 0x400000 | PAGE_PS | PAGE_P | PAGE_RW
    mov dword [0x400000 + REGION], 0x7A5C0001
    mov edi, task_tss_b
    mov eax, task_other_space
    mov edx, TASK_B_STACK_TOP
    call init_task_tss
    mov dword [task_tss_b + TSS_CR3], task_page_directory
    mov dword [tss + TSS_CR3], page_directory
    mov eax, page_directory
    mov cr3, eax
    mov eax, cr0
    or eax, CR0_PG
    mov cr0, eax
    BEGIN
    mov eax, [ALIAS_4M + REGION]              ; main's translation, into the TLB
    jmp TASK_SEL_B:0
task_space_returned:
    mov ebx, [ALIAS_4M + REGION]              ; main's again, not task B's
    mov ecx, cr3
    mov edx, [task_results]                   ; CR3 in task B
    HEX [task_results + 4]                    ; what task B read through its mapping
    END
    mov eax, cr0
    and eax, ~CR0_PG
    mov cr0, eax
    jmp .unpaged
.unpaged:
    xor eax, eax
    mov cr4, eax
    mov dword [tss + TSS_CR3], 0
    HEX [0x400000 + REGION]                   ; task B's store landed in its own space
    NL
    clts

    lgdt [gdt_descriptor]
    ret

; Task A for JMP tests: record what it sees, then JMP back to the main task.
task_jump_and_back:
    mov [task_results], eax
    mov [task_results + 4], ebx
    mov [task_results + 8], esp
    str ax
    movzx eax, ax
    mov [task_results + 12], eax
    pushfd
    pop dword [task_results + 16]
    mov eax, 0xAAAAAAAA
    jmp SEL_TSS:0

; Task A for CALL and INT: record NT, the back-link and the caller's busy type, IRET, and loop.
task_nested:
    pushfd
    pop dword [task_results]
    movzx eax, word [task_tss_a + TSS_LINK]
    mov [task_results + 4], eax
    movzx eax, byte [task_gdt + SEL_TSS + 5]
    mov [task_results + 8], eax
    inc dword [task_results + 20]
    iretd
    jmp task_nested

; Task B as an exception handler: print the error code, the stack and the
; back-link, move the faulting task's EIP to [task_fixup], and IRET to it.
task_fault_handler:
    pop eax
    PUTS 'task handler '
    HEX eax
    HEX esp
    movzx eax, word [task_tss_b + TSS_LINK]
    HEX eax
    pushfd
    pop eax
    HEX eax
    HEX [tss + TSS_EIP]                       ; where the faulting task stopped
    HEX [tss + TSS_EAX + 4]                   ; its ECX
    TASK_STATE
    NL
    mov eax, [task_fixup]
    mov [tss + TSS_EIP], eax
    iretd
    jmp task_fault_handler

; #TS or #NP after a task switch's commit point: print the vector's error
; code, CS, EFLAGS, where the frame landed, the registers and the task state.
post_commit_fault:
    mov ebp, esp
    mov di, SEL_DATA0
    mov ds, di
    mov es, di
    PUTS 'post-commit fault '
    HEX [ebp]                                 ; error code
    HEX [ebp + 8]                             ; CS
    HEX [ebp + 12]                            ; EFLAGS
    HEX ebp                                   ; on the new task's stack
    HEX eax
    HEX ebx
    HEX ecx
    TASK_STATE
    NL
    mov esp, [harness_esp]
    mov bx, SEL_DATA0
    mov ss, bx
    mov fs, bx
    mov gs, bx
    jmp [post_commit_resume]

task_16:
    mov [task_results], eax
    mov [task_results + 4], ebx
    mov eax, fs
    mov [task_results + 8], eax
    mov [task_results + 12], esp
    mov eax, 0x99991717
    jmp SEL_TSS:0

task_other_space:
    mov eax, cr3
    mov [task_results], eax
    mov eax, [ALIAS_4M + REGION]
    mov [task_results + 4], eax
    mov dword [ALIAS_4M + REGION], 0x7A5C0002
    jmp SEL_TSS:0

section .data
align 8
task_gdt_descriptor:
    dw TASK_GDT_END - 1
    dd task_gdt

section .bss
alignb 4096
task_page_directory: resb 4096
alignb 8
task_gdt:           resb TASK_GDT_END
alignb 16
task_tss_a:         resb TSS_BYTES
task_tss_b:         resb TSS_BYTES
task_tss_16:        resb TSS16_BYTES
alignb 4
task_results:       resd 6
task_fixup:         resd 1
post_commit_resume: resd 1
saved_gate:         resd 2
saved_de_selector:  resw 1
