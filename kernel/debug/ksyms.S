// The symbol table of the first link, placed last in the image (linker.ld).
    .section .ksyms, "a"
    .incbin "ksyms.bin"
