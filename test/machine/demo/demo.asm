; The bare-metal demo: a small 32-bit program that exercises the PC the way a
; kernel does, and reports everything on COM1 so the same transcript can be
; compared between jos86 and QEMU.
;
;   1. says how it was booted (Multiboot: EAX = 0x2BADB002, with mem_lower and
;      mem_lower (and a coarse check of mem_upper) from the information
;      structure; or the disk boot sector),
;   2. writes a line to the CGA text screen at 0xB8000, moves the 6845 cursor,
;      and reads both back,
;   3. remaps the 8259 pair to 0x20/0x28 and counts ten PIT (IRQ 0) ticks at
;      100 Hz, halting between them,
;   4. reads the local APIC version and counts five periodic LAPIC timer
;      interrupts (vector 0x40),
;   5. reads a line typed on the keyboard (8042, scan-code set 1, polled) or
;      on COM1, echoing it,
;   6. exits through isa-debug-exit (port 0xF4) with value 0x10, so QEMU and
;      jos86 both end with status (0x10 << 1) | 1 = 33.
;
; Assemble flat (`nasm -f bin`) for the disk image: the Multiboot header then
; carries the a.out-kludge addresses (flag bit 16), which boot.asm also uses to
; find the entry point. Assemble with -DELF (`nasm -f elf32`, linked by ld at
; 1 MiB) for the Multiboot ELF path. Nothing here depends on timing, so the
; transcript is the same on any correct PC.

MB_MAGIC        equ 0x1BADB002
MB_BOOT_MAGIC   equ 0x2BADB002
MB_PAGE_ALIGN   equ 1 << 0
MB_MEMORY_INFO  equ 1 << 1
MB_AOUT_KLUDGE  equ 1 << 16
MBI_MEM_LOWER   equ 4
MBI_MEM_UPPER   equ 8

COM1            equ 0x3F8
UART_RBR        equ 0           ; receive buffer (read), transmit holding (write)
UART_IER        equ 1
UART_FCR        equ 2
UART_LCR        equ 3
UART_MCR        equ 4
UART_LSR        equ 5
LSR_DATA_READY  equ 0x01
LSR_THR_EMPTY   equ 0x20
LCR_DLAB        equ 0x80
LCR_8N1         equ 0x03

PIC1_CMD        equ 0x20
PIC1_DATA       equ 0x21
PIC2_CMD        equ 0xA0
PIC2_DATA       equ 0xA1
PIC_EOI         equ 0x20

PIT_CH0         equ 0x40
PIT_MODE        equ 0x43
PIT_100HZ       equ 11932       ; 1193182 Hz / 100

KBD_DATA        equ 0x60
KBD_STATUS      equ 0x64
KBD_OBF         equ 0x01
KBD_AUX         equ 0x20        ; output buffer holds mouse data: not ours

CRTC_INDEX      equ 0x3D4
CRTC_DATA       equ 0x3D5
CRTC_CURSOR_HI  equ 0x0E
CRTC_CURSOR_LO  equ 0x0F
CGA_TEXT        equ 0xB8000

LAPIC           equ 0xFEE00000
LAPIC_VERSION   equ 0x030
LAPIC_EOI       equ 0x0B0
LAPIC_SVR       equ 0x0F0
LAPIC_LVT_TIMER equ 0x320
LAPIC_TIMER_INIT equ 0x380
LAPIC_TIMER_DIV equ 0x3E0
SVR_ENABLE      equ 0x100
LVT_PERIODIC    equ 0x20000
LVT_MASKED      equ 0x10000
TIMER_DIVIDE_16 equ 0x3

DEBUG_EXIT      equ 0xF4
EXIT_VALUE      equ 0x10

PIT_VECTOR      equ 0x20
LAPIC_VECTOR    equ 0x40
SPURIOUS_VECTOR equ 0xFF
IDT_ADDRESS     equ 0x80000     ; free low RAM on both machines
STACK_TOP       equ 0x90000

%ifdef ELF
        section .text
        global _start
%else
        org 0x100000
%endif

        align 4
multiboot_header:
%ifdef ELF
        dd MB_MAGIC
        dd MB_PAGE_ALIGN | MB_MEMORY_INFO
        dd -(MB_MAGIC + (MB_PAGE_ALIGN | MB_MEMORY_INFO))
        dd 0, 0, 0, 0, 0        ; keep entry_addr's offset (28) readable but unused
%else
        dd MB_MAGIC
        dd MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE
        dd -(MB_MAGIC + (MB_PAGE_ALIGN | MB_MEMORY_INFO | MB_AOUT_KLUDGE))
        dd multiboot_header     ; header_addr
        dd multiboot_header     ; load_addr: the file is loaded from its start
        dd 0                    ; load_end_addr: 0 = the whole file
        dd 0                    ; bss_end_addr: no bss
        dd entry                ; entry_addr
%endif

        bits 32
_start:
entry:
        cli
        ; Read what Multiboot handed over before anything touches memory.
        xor esi, esi
        xor edi, edi
        cmp eax, MB_BOOT_MAGIC
        jne .no_multiboot
        mov esi, [ebx + MBI_MEM_LOWER]
        mov edi, [ebx + MBI_MEM_UPPER]
        mov byte [booted_by_multiboot], 1
.no_multiboot:
        mov esp, STACK_TOP
        mov [mem_lower], esi
        mov [mem_upper], edi
        lgdt [gdt_descriptor]
        jmp 0x08:.reload
.reload:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov ss, ax

        call serial_init
        mov esi, text_hello
        call puts
        cmp byte [booted_by_multiboot], 1
        jne .disk_boot
        mov esi, text_multiboot
        call puts
        mov eax, [mem_lower]
        call put_decimal
        mov esi, text_mem_upper
        call puts
        ; QEMU's figure comes from SeaBIOS's e820 map, which reserves the top
        ; 128 KiB for ACPI; jos86 has no ACPI tables. Print a coarse check.
        mov esi, text_yes
        cmp dword [mem_upper], 120 * 1024
        jae .upper_ok
        mov esi, text_no
.upper_ok:
        call puts
        jmp .booted
.disk_boot:
        mov esi, text_disk
        call puts
.booted:
        call cga_demo
        call idt_setup
        call pit_demo
        call lapic_demo
        call input_demo
        mov esi, text_bye
        call puts
        mov dx, DEBUG_EXIT
        mov eax, EXIT_VALUE
        out dx, eax
.stop:  hlt                     ; only reached on a PC without isa-debug-exit
        jmp .stop

; ---- COM1, polled ----------------------------------------------------------

serial_init:
        mov dx, COM1 + UART_IER
        xor al, al
        out dx, al              ; no UART interrupts
        mov dx, COM1 + UART_LCR
        mov al, LCR_DLAB
        out dx, al
        mov dx, COM1 + UART_RBR ; divisor latch low: 1 = 115200 baud
        mov al, 1
        out dx, al
        mov dx, COM1 + UART_IER ; divisor latch high
        xor al, al
        out dx, al
        mov dx, COM1 + UART_LCR
        mov al, LCR_8N1
        out dx, al
        mov dx, COM1 + UART_FCR
        xor al, al              ; FIFOs off: one byte at a time, both machines alike
        out dx, al
        mov dx, COM1 + UART_MCR
        mov al, 0x03            ; DTR, RTS
        out dx, al
        ret

; putc(AL)
putc:
        push edx
        push eax
        mov dx, COM1 + UART_LSR
.wait:  in al, dx
        test al, LSR_THR_EMPTY
        jz .wait
        pop eax
        mov dx, COM1 + UART_RBR
        out dx, al
        pop edx
        ret

; puts(ESI = NUL-terminated string)
puts:
        push eax
        push esi
.next:  lodsb
        test al, al
        jz .done
        call putc
        jmp .next
.done:  pop esi
        pop eax
        ret

newline:
        push eax
        mov al, 13
        call putc
        mov al, 10
        call putc
        pop eax
        ret

; put_hex(EAX): eight hex digits
put_hex:
        push eax
        push ebx
        push ecx
        mov ebx, eax
        mov ecx, 8
.digit: rol ebx, 4
        mov eax, ebx
        and eax, 0xF
        mov al, [hex_digits + eax]
        call putc
        loop .digit
        pop ecx
        pop ebx
        pop eax
        ret

; put_decimal(EAX): unsigned
put_decimal:
        push eax
        push ebx
        push ecx
        push edx
        mov ebx, 10
        xor ecx, ecx
.divide:
        xor edx, edx
        div ebx
        push edx
        inc ecx
        test eax, eax
        jnz .divide
.print: pop eax
        add al, '0'
        call putc
        loop .print
        pop edx
        pop ecx
        pop ebx
        pop eax
        ret

; ---- CGA text screen and 6845 cursor ---------------------------------------

cga_demo:
        mov esi, text_cga_line
        mov edi, CGA_TEXT
        mov ah, 0x1F            ; white on blue
.write: lodsb
        test al, al
        jz .cursor
        stosw
        jmp .write
.cursor:
        mov ecx, edi
        sub ecx, CGA_TEXT
        shr ecx, 1              ; cursor goes right after the text
        mov dx, CRTC_INDEX
        mov al, CRTC_CURSOR_HI
        out dx, al
        mov dx, CRTC_DATA
        mov al, ch
        out dx, al
        mov dx, CRTC_INDEX
        mov al, CRTC_CURSOR_LO
        out dx, al
        mov dx, CRTC_DATA
        mov al, cl
        out dx, al

        ; Read the screen back and print what is there.
        mov esi, text_cga_read
        call puts
        mov esi, CGA_TEXT
        mov ecx, text_cga_line_end - text_cga_line - 1
.read:  mov al, [esi]
        call putc
        add esi, 2
        loop .read
        mov esi, text_attribute
        call puts
        movzx eax, byte [CGA_TEXT + 1]
        call put_hex
        call newline

        mov esi, text_cursor
        call puts
        mov dx, CRTC_INDEX
        mov al, CRTC_CURSOR_HI
        out dx, al
        mov dx, CRTC_DATA
        in al, dx
        mov ah, al
        mov dx, CRTC_INDEX
        mov al, CRTC_CURSOR_LO
        out dx, al
        mov dx, CRTC_DATA
        in al, dx
        movzx eax, ax
        call put_decimal
        call newline
        ret

; ---- Interrupt descriptor table -----------------------------------------------

; set_gate(EAX = vector, EDX = handler)
set_gate:
        push edi
        lea edi, [IDT_ADDRESS + eax * 8]
        mov [edi], dx           ; offset 15..0
        mov word [edi + 2], 0x08
        mov word [edi + 4], 0x8E00 ; present, ring 0, 32-bit interrupt gate
        shr edx, 16
        mov [edi + 6], dx       ; offset 31..16
        pop edi
        ret

idt_setup:
        xor eax, eax
.all:   mov edx, unexpected_interrupt
        call set_gate
        inc eax
        cmp eax, 256
        jne .all
        mov eax, PIT_VECTOR
        mov edx, pit_handler
        call set_gate
        mov eax, PIT_VECTOR + 7 ; the master's spurious IRQ 7
        mov edx, ignore_interrupt
        call set_gate
        mov eax, PIT_VECTOR + 15
        mov edx, ignore_interrupt
        call set_gate
        mov eax, LAPIC_VECTOR
        mov edx, lapic_timer_handler
        call set_gate
        mov eax, SPURIOUS_VECTOR
        mov edx, ignore_interrupt
        call set_gate
        lidt [idt_descriptor]
        ret

unexpected_interrupt:
        mov esi, text_unexpected
        call puts
        mov dx, DEBUG_EXIT
        mov eax, 0x7E
        out dx, eax
        hlt

ignore_interrupt:
        iretd

; ---- 8259 PIC and 8254 PIT ----------------------------------------------------

pit_handler:
        push eax
        inc dword [pit_ticks]
        mov al, PIC_EOI
        out PIC1_CMD, al
        pop eax
        iretd

pit_demo:
        ; ICW1-ICW4: edge triggered, cascade, vectors 0x20 and 0x28, 8086 mode.
        mov al, 0x11
        out PIC1_CMD, al
        out PIC2_CMD, al
        mov al, PIT_VECTOR
        out PIC1_DATA, al
        mov al, PIT_VECTOR + 8
        out PIC2_DATA, al
        mov al, 0x04            ; slave on IR2
        out PIC1_DATA, al
        mov al, 0x02            ; slave identity 2
        out PIC2_DATA, al
        mov al, 0x01
        out PIC1_DATA, al
        out PIC2_DATA, al
        mov al, 0xFF
        out PIC2_DATA, al
        mov al, 0xFE            ; only IRQ 0
        out PIC1_DATA, al

        mov al, 0x34            ; channel 0, lobyte/hibyte, mode 2 (rate generator)
        out PIT_MODE, al
        mov ax, PIT_100HZ
        out PIT_CH0, al
        mov al, ah
        out PIT_CH0, al

        mov dword [pit_ticks], 0
        sti
.wait:  hlt
        cmp dword [pit_ticks], 10
        jb .wait
        cli
        mov al, 0xFF
        out PIC1_DATA, al
        mov esi, text_pit
        call puts
        mov eax, [pit_ticks]
        call put_decimal
        mov esi, text_ticks
        call puts
        ret

; ---- Local APIC timer -----------------------------------------------------------

lapic_timer_handler:
        inc dword [lapic_ticks]
        mov dword [LAPIC + LAPIC_EOI], 0
        iretd

lapic_demo:
        mov esi, text_lapic_version
        call puts
        mov eax, [LAPIC + LAPIC_VERSION]
        call put_hex
        call newline

        mov dword [LAPIC + LAPIC_SVR], SVR_ENABLE | SPURIOUS_VECTOR
        mov dword [LAPIC + LAPIC_TIMER_DIV], TIMER_DIVIDE_16
        mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_PERIODIC | LAPIC_VECTOR
        mov dword [lapic_ticks], 0
        mov dword [LAPIC + LAPIC_TIMER_INIT], 100000 ; 1 GHz / 16 / 100000 = 625 Hz
        sti
.wait:  hlt
        cmp dword [lapic_ticks], 5
        jb .wait
        cli
        mov dword [LAPIC + LAPIC_LVT_TIMER], LVT_MASKED
        mov dword [LAPIC + LAPIC_TIMER_INIT], 0
        mov esi, text_lapic
        call puts
        mov eax, [lapic_ticks]
        call put_decimal
        mov esi, text_ticks
        call puts
        ret

; ---- Keyboard (8042, polled) and COM1 input ---------------------------------------

input_demo:
        mov esi, text_prompt
        call puts
        mov edi, line
.poll:
        in al, KBD_STATUS
        test al, KBD_OBF
        jz .serial
        test al, KBD_AUX
        jnz .discard
        in al, KBD_DATA
        test al, 0x80           ; a break code: key released
        jnz .poll
        movzx eax, al
        cmp eax, scancode_table_end - scancode_table
        jae .poll
        mov al, [scancode_table + eax]
        test al, al
        jz .poll
        jmp .got
.discard:
        in al, KBD_DATA
        jmp .poll
.serial:
        mov dx, COM1 + UART_LSR
        in al, dx
        test al, LSR_DATA_READY
        jz .poll
        mov dx, COM1 + UART_RBR
        in al, dx
.got:
        cmp al, 13
        je .done
        cmp al, 10
        je .done
        cmp edi, line_end
        jae .poll
        stosb
        call putc
        jmp .poll
.done:
        mov byte [edi], 0
        call newline
        mov esi, text_got
        call puts
        mov esi, line
        call puts
        call newline
        ret

%ifdef ELF
        section .data
%endif
        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF   ; 0x08: flat 32-bit code
        dq 0x00CF92000000FFFF   ; 0x10: flat 32-bit data
gdt_descriptor:
        dw gdt_descriptor - gdt - 1
        dd gdt
idt_descriptor:
        dw 256 * 8 - 1
        dd IDT_ADDRESS

; Scan-code set 1 make codes to ASCII, unshifted; 0 = ignored.
scancode_table:
        db 0, 27, '1234567890-=', 8, 9          ; 0x00-0x0F
        db 'qwertyuiop[]', 13, 0, 'as'          ; 0x10-0x1F
        db 'dfghjkl;', 39, '`', 0, '\zxcv'      ; 0x20-0x2F
        db 'bnm,./', 0, '*', 0, ' '             ; 0x30-0x39
scancode_table_end:

hex_digits:         db "0123456789abcdef"
text_hello:         db "jos86 demo", 13, 10, 0
text_multiboot:     db "boot: multiboot, mem_lower ", 0
text_mem_upper:     db " KiB, mem_upper above 120 MiB: ", 0
text_yes:           db "yes", 13, 10, 0
text_no:            db "no", 13, 10, 0
text_disk:          db "boot: disk", 13, 10, 0
text_cga_line:      db "Hello from the CGA screen", 0
text_cga_line_end:
text_cga_read:      db "cga: ", 0
text_attribute:     db ", attribute ", 0
text_cursor:        db "cursor: ", 0
text_pit:           db "pit: ", 0
text_lapic_version: db "lapic version: ", 0
text_lapic:         db "lapic timer: ", 0
text_ticks:         db " ticks", 13, 10, 0
text_prompt:        db "type a line: ", 0
text_got:           db "got: ", 0
text_bye:           db "bye", 13, 10, 0
text_unexpected:    db "unexpected interrupt", 13, 10, 0

booted_by_multiboot: db 0
        align 4
mem_lower:   dd 0
mem_upper:   dd 0
pit_ticks:   dd 0
lapic_ticks: dd 0
line:        times 64 db 0
line_end:    db 0
