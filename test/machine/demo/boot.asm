; Boot sector for the bare-metal demo (test/machine/demo/demo.asm).
;
; Runs at 0000:7C00 in real mode, either after SeaBIOS (QEMU) or straight from
; jos86's BIOS-less start. It uses no BIOS service, so both paths see the same
; code: open A20 through port 0x92, enter flat 32-bit protected mode, read the
; payload from LBA 1 onwards with ATA PIO (primary channel, master, 0x1F0) to
; 1 MiB, and jump to the entry address in the payload's Multiboot a.out-kludge
; header (offset 28 of the header at the very start of the payload).

PAYLOAD_ADDRESS  equ 0x100000
PAYLOAD_SECTORS  equ 32           ; the image is padded so this many exist
MB_ENTRY_FIELD   equ PAYLOAD_ADDRESS + 28

ATA_DATA         equ 0x1F0
ATA_SECTOR_COUNT equ 0x1F2
ATA_LBA_LOW      equ 0x1F3
ATA_LBA_MID      equ 0x1F4
ATA_LBA_HIGH     equ 0x1F5
ATA_DRIVE_HEAD   equ 0x1F6
ATA_STATUS       equ 0x1F7        ; reads status, writes command
ATA_CMD_READ     equ 0x20
ATA_BSY          equ 0x80
ATA_DRQ          equ 0x08
ATA_ERR          equ 0x01

        org 0x7C00
        bits 16
start:
        cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        in al, 0x92                 ; fast A20: bit 1 opens the gate, bit 0 would reset
        or al, 0x02
        and al, 0xFE
        out 0x92, al
        lgdt [gdt_descriptor]
        mov eax, cr0
        or eax, 1
        mov cr0, eax
        jmp 0x08:protected

        bits 32
protected:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x7C00

        mov dx, ATA_DRIVE_HEAD
        mov al, 0xE0                ; LBA mode, master, LBA bits 24-27 = 0
        out dx, al
        call ata_wait_not_busy
        mov dx, ATA_SECTOR_COUNT
        mov al, PAYLOAD_SECTORS
        out dx, al
        mov dx, ATA_LBA_LOW
        mov al, 1
        out dx, al
        xor al, al
        mov dx, ATA_LBA_MID
        out dx, al
        mov dx, ATA_LBA_HIGH
        out dx, al
        mov dx, ATA_STATUS
        mov al, ATA_CMD_READ
        out dx, al

        mov edi, PAYLOAD_ADDRESS
        mov ebx, PAYLOAD_SECTORS
.sector:
        call ata_wait_not_busy
        test al, ATA_ERR
        jnz disk_error
        test al, ATA_DRQ
        jz .sector
        mov dx, ATA_DATA
        mov ecx, 256
        rep insw
        dec ebx
        jnz .sector

        xor eax, eax                ; not a Multiboot boot: the payload checks EAX
        xor ebx, ebx
        jmp [MB_ENTRY_FIELD]

ata_wait_not_busy:
        mov dx, ATA_STATUS
.poll:  in al, dx
        test al, ATA_BSY
        jnz .poll
        ret

disk_error:                         ; say so on COM1 (polled, no init needed for QEMU/jos86) and stop
        mov esi, disk_error_text
        mov dx, 0x3F8
.next:  lodsb
        test al, al
        jz .stop
        out dx, al
        jmp .next
.stop:  mov dx, 0xF4
        mov al, 0x7F
        out dx, al
        hlt
        jmp .stop

disk_error_text: db "boot: disk read error", 13, 10, 0

        align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF       ; 0x08: flat 32-bit code
        dq 0x00CF92000000FFFF       ; 0x10: flat 32-bit data
gdt_descriptor:
        dw gdt_descriptor - gdt - 1
        dd gdt

        times 510 - ($ - $$) db 0
        dw 0xAA55
