; Benchmark boot sector: real mode -> 32-bit protected mode -> load the payload
; from the first IDE disk with programmed I/O -> jump to it.
;
; It makes no BIOS call, so it behaves the same when SeaBIOS hands over (v86,
; QEMU) and when jos86 starts it directly at 0000:7C00 with DL=0x80 and no
; firmware at all. The disk is read with the ATA "READ SECTORS" command
; (ATA/ATAPI-4, section 8.27) in 28-bit LBA mode, one sector per command,
; polling the status register instead of taking IRQ 14.
;
; Built by bench/build.ts with: nasm -f bin -D PAYLOAD_SECTORS=n -D PAYLOAD_BASE=a

%ifndef PAYLOAD_SECTORS
%error "PAYLOAD_SECTORS must be given on the command line"
%endif
%ifndef PAYLOAD_BASE
%error "PAYLOAD_BASE must be given on the command line"
%endif

ATA_DATA        equ 0x1F0
ATA_COUNT       equ 0x1F2
ATA_LBA_LOW     equ 0x1F3
ATA_LBA_MID     equ 0x1F4
ATA_LBA_HIGH    equ 0x1F5
ATA_DRIVE_HEAD  equ 0x1F6
ATA_STATUS      equ 0x1F7       ; read: status; write: command
ATA_CMD_READ    equ 0x20
ATA_LBA_MASTER  equ 0xE0        ; LBA mode, master drive, bits 27..24 of the LBA below
ATA_BSY_DRDY    equ 0xC0
ATA_DRDY        equ 0x40

PORT_A20_FAST   equ 0x92        ; "system control port A": bit 1 opens the A20 gate
A20_FAST_BIT    equ 0x02

CR0_PE          equ 1
CODE_SELECTOR   equ 0x08
DATA_SELECTOR   equ 0x10

    org 0x7C00
    bits 16

start:
    cli
    cld
    ; Some loaders enter at 07C0:0000; normalise to 0000:7C00 so `org` holds.
    jmp 0:.flat
.flat:
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00

    ; Fast A20. The payload lives below 1 MiB, so a machine without port 0x92
    ; (where the write simply vanishes) still runs every phase correctly.
    in al, PORT_A20_FAST
    or al, A20_FAST_BIT
    and al, 0xFE                ; bit 0 would reset the processor
    out PORT_A20_FAST, al

    lgdt [gdt_descriptor]
    mov eax, cr0
    or eax, CR0_PE
    mov cr0, eax
    jmp CODE_SELECTOR:protected

    bits 32
protected:
    mov ax, DATA_SELECTOR
    mov ds, ax
    mov es, ax
    mov fs, ax
    mov gs, ax
    mov ss, ax
    mov esp, 0x7C00

    mov edi, PAYLOAD_BASE
    mov ebx, 1                  ; LBA 0 is this sector; the payload follows it
.next_sector:
    cmp ebx, PAYLOAD_SECTORS + 1
    jae .loaded
    call wait_disk
    mov dx, ATA_COUNT
    mov al, 1
    out dx, al
    mov eax, ebx
    mov dx, ATA_LBA_LOW
    out dx, al
    shr eax, 8
    mov dx, ATA_LBA_MID
    out dx, al
    shr eax, 8
    mov dx, ATA_LBA_HIGH
    out dx, al
    shr eax, 8
    and al, 0x0F
    or al, ATA_LBA_MASTER
    mov dx, ATA_DRIVE_HEAD
    out dx, al
    mov dx, ATA_STATUS
    mov al, ATA_CMD_READ
    out dx, al
    call wait_disk
    mov ecx, 128                ; 512 bytes as doublewords
    mov dx, ATA_DATA
    rep insd
    inc ebx
    jmp .next_sector
.loaded:
    jmp CODE_SELECTOR:PAYLOAD_BASE

; Spin until the drive is not busy and reports ready.
wait_disk:
    mov dx, ATA_STATUS
.poll:
    in al, dx
    and al, ATA_BSY_DRDY
    cmp al, ATA_DRDY
    jne .poll
    ret

    align 8
gdt:
    dq 0                        ; null descriptor
    dq 0x00CF9A000000FFFF       ; 0x08: code, base 0, limit 4 GiB, 32-bit, ring 0
    dq 0x00CF92000000FFFF       ; 0x10: data, base 0, limit 4 GiB, ring 0
gdt_end:
gdt_descriptor:
    dw gdt_end - gdt - 1
    dd gdt

    times 510 - ($ - $$) db 0
    dw 0xAA55
