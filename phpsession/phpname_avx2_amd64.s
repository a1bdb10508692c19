//go:build !purego

#include "textflag.h"

// func indexPHPNameAVX2(s []byte, name string) int
//
// Returns the first i with s[i:i+len(name)+1] == name+"|", or -1;
// len(name) is at least 2 and len(s) at least 66.
//
// Position p is where name's last two bytes would be, with the '|' at p+2;
// there are len(s)-2 of them. Each turn of the loop looks at 64 positions,
// as two halves of 32: s[p:p+32] against name's second to last byte,
// s[p+1:p+33] against its last and s[p+2:p+34] against '|' (unaligned
// loads folded into VPCMPEQB), ANDs the three answers of each half, ORs the
// halves and tests the result once. Only in a turn with a position found
// does it take the masks out and compare the rest of the name at each
// position, first byte first. The last turn starts 64 positions before the
// end, over positions already looked at: none of them matched.
TEXT ·indexPHPNameAVX2(SB), NOSPLIT, $0-48
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ name_base+24(FP), R9
	MOVQ name_len+32(FP), R10

	// Y5, Y6, Y7: name's last two bytes and '|', in each of their 32 bytes.
	// Only VEX-encoded instructions here: a legacy SSE one (MOVQ AX, X6)
	// after a 256-bit one costs a state transition, ~200 ns on the machine
	// this was measured on.
	VPBROADCASTB -2(R9)(R10*1), Y5
	VPBROADCASTB -1(R9)(R10*1), Y6
	MOVL $0x7c, AX
	VMOVD AX, X7
	VPBROADCASTB X7, Y7

	MOVQ SI, DI
	LEAQ -2(SI)(DX*1), R8    // where the positions end
	LEAQ -64(R8), DX         // where the last turn starts
	LEAQ -2(SI)(R10*1), R11  // the first position where the name fits in s

loop:
	VPCMPEQB (DI), Y5, Y0
	VPCMPEQB 1(DI), Y6, Y1
	VPCMPEQB 2(DI), Y7, Y2
	VPAND Y1, Y0, Y0
	VPAND Y2, Y0, Y0
	VPCMPEQB 32(DI), Y5, Y1
	VPCMPEQB 33(DI), Y6, Y2
	VPCMPEQB 34(DI), Y7, Y3
	VPAND Y2, Y1, Y1
	VPAND Y3, Y1, Y1
	VPOR Y0, Y1, Y2
	VPTEST Y2, Y2
	JNZ found

next:
	ADDQ $64, DI
	CMPQ DI, DX
	JBE loop
	CMPQ DI, R8
	JAE none
	MOVQ DX, DI              // the last turn, ending where the positions end
	JMP loop

none:
	VZEROUPPER
	MOVQ $-1, ret+40(FP)
	RET

found:
	// CX: the positions found in this turn, one bit each.
	VPMOVMSKB Y0, CX
	VPMOVMSKB Y1, AX
	SHLQ $32, AX
	ORQ AX, CX

candidate:
	BSFQ CX, BX
	LEAQ (DI)(BX*1), R12     // where name's last two bytes are
	CMPQ R12, R11
	JB skip                  // the name would start before s
	MOVQ R12, R13
	SUBQ R10, R13
	ADDQ $2, R13             // where the name would start
	XORQ BX, BX

compare:
	LEAQ 2(BX), AX
	CMPQ AX, R10
	JAE match
	MOVBLZX (R13)(BX*1), AX
	CMPB AX, (R9)(BX*1)
	JNE skip
	INCQ BX
	JMP compare

match:
	VZEROUPPER
	SUBQ SI, R13
	MOVQ R13, ret+40(FP)
	RET

skip:
	LEAQ -1(CX), BX
	ANDQ BX, CX              // the next position found, if any
	JNZ candidate
	JMP next
