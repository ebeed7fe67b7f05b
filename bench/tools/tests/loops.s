// Control-flow shapes for mca-test.sh.
        .text

// Two nested loops: the inner one (4 instructions) is the hot loop even
// though the outer one has more instructions.
        .globl  nested
        .type   nested, %function
nested:
1:      mov     x2, #4
2:      add     x3, x3, #1
        add     x4, x4, x3
        subs    x2, x2, #1
        b.ne    2b
        subs    x0, x0, #1
        b.ne    1b
        ret
        .size   nested, . - nested

// A backward jump to a shared return: no loop.
        .globl  shared_exit
        .type   shared_exit, %function
shared_exit:
        cbz     x0, 1f
        mov     x0, #1
2:      ret
1:      mov     x0, #2
        b       2b
        .size   shared_exit, . - shared_exit
