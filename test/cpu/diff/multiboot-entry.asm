; A 64 KiB stand-in BIOS ROM that brings a freshly reset CPU into the state
; the Multiboot specification (0.6.96, section 3.2) promises a kernel: flat
; 32-bit protected mode, CS/DS/ES/FS/GS/SS flat 4 GiB, IF = 0, EAX = the
; boot-loader magic, EBX = the information structure, jumping to the entry.
;
; jos86-runner.ts assembles it with -DENTRY=... -DINFO=... and maps it where a
; BIOS lives (top of 4 GiB and top of the first MiB), so the CPU starts at the
; reset vector F000:FFF0 (Intel SDM vol. 3A 9.1.4) and the whole switch to
; protected mode (SDM 3A 9.9.1) runs on the CPU under test, as QEMU runs its
; own multiboot option ROM before the harness.

bits 16

ROM_BASE            equ 0xF0000             ; linear address of segment F000
BOOTLOADER_MAGIC    equ 0x2BADB002
CR0_PE              equ 1
SEL_CODE            equ 0x08
SEL_DATA            equ 0x10

start:
    cli
    cld
    o32 lgdt [cs:gdt_descriptor]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp dword SEL_CODE:(ROM_BASE + protected)

bits 32
protected:
    mov ax, SEL_DATA
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov eax, BOOTLOADER_MAGIC
    mov ebx, INFO
    jmp SEL_CODE:ENTRY

align 8
gdt:
    dq 0
    dw 0xFFFF, 0x0000, 0x9A00, 0x00CF       ; flat code, execute/read
    dw 0xFFFF, 0x0000, 0x9200, 0x00CF       ; flat data, read/write
gdt_end:

gdt_descriptor:
    dw gdt_end - gdt - 1
    dd ROM_BASE + gdt

    times 0xFFF0 - ($ - $$) db 0xFF
bits 16
reset_vector:
    jmp 0xF000:start
    times 0x10000 - ($ - $$) db 0xFF
