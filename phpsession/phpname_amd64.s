//go:build !purego

#include "textflag.h"
#include "phpname_amd64.h"

// func indexPHPNameBlocks(s []byte, name string) int
//
// Returns the first i with s[i:i+len(name)+1] == name+"|" whose last two
// name bytes start before (len(s)-2)&^31, or -1; len(name) is at least 2.
//
// Each turn of the loop compares 32 positions, as two halves of 16:
// s[p:p+16] with name's second to last byte, s[p+1:p+17] with its last,
// and s[p+2:p+18] with '|', byte by byte (unaligned SSE2 loads), and ANDs
// the three answers. It compares the rest of the name at each position
// found, first byte first, and goes on if it differs.
TEXT ·indexPHPNameBlocks(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ name_base+24(FP), R9
	MOVQ name_len+32(FP), R10

	// X5, X6, X7: name's last two bytes and '|', in each of their 16 bytes.
	MOVBQZX -2(R9)(R10*1), AX
	MOVQ AX, X5
	PUNPCKLBW X5, X5
	PSHUFLW $0, X5, X5
	PSHUFD $0, X5, X5
	MOVBQZX -1(R9)(R10*1), AX
	MOVQ AX, X6
	PUNPCKLBW X6, X6
	PSHUFLW $0, X6, X6
	PSHUFD $0, X6, X6
	MOVQ $0x7c, AX
	MOVQ AX, X7
	PUNPCKLBW X7, X7
	PSHUFLW $0, X7, X7
	PSHUFD $0, X7, X7

	MOVQ SI, DI
	SUBQ $2, DX
	JLE none
	ANDQ $~31, DX
	JZ none
	LEAQ (SI)(DX*1), R8      // where the covered positions end
	LEAQ -2(SI)(R10*1), R11  // the first position where the name fits in s

loop:
	MOVOU (DI), X0
	MOVOU 1(DI), X1
	MOVOU 2(DI), X2
	PCMPEQB X5, X0
	PCMPEQB X6, X1
	PCMPEQB X7, X2
	PAND X1, X0
	PAND X2, X0
	MOVOU 16(DI), X1
	MOVOU 17(DI), X2
	MOVOU 18(DI), X3
	PCMPEQB X5, X1
	PCMPEQB X6, X2
	PCMPEQB X7, X3
	PAND X2, X1
	PAND X3, X1
	PMOVMSKB X0, CX
	PMOVMSKB X1, BX
	SHLL $16, BX
	ORL BX, CX
	JNZ candidate

next:
	ADDQ $32, DI
	CMPQ DI, R8
	JB loop

none:
	MOVQ $-1, ret+40(FP)
	RET

	CHECK_CANDIDATES(match, next)

match:
	SUBQ SI, R13
	MOVQ R13, ret+40(FP)
	RET
