//go:build !purego

#include "textflag.h"
#include "phpname_amd64.h"

// NEXT_TURN goes on to the next turn of loop, or to none after the last.
// DI is where the turn just looked starts, DX where the last turn starts.
#define NEXT_TURN(loop) \
	CMPQ DI, DX; \
	JAE none; /* that was the last turn */ \
	ADDQ $64, DI; \
	ANDQ $-64, DI; /* aligned from the second turn on */ \
	CMPQ DI, DX; \
	JBE loop; \
	MOVQ DX, DI; /* the last turn, ending where the positions end */ \
	JMP loop

// func indexPHPNameWide(s []byte, name string, avx512 bool) int
//
// Returns the first i with s[i:i+len(name)+1] == name+"|", or -1;
// len(name) is at least 2 and len(s) at least 66. With avx512 it uses
// AVX-512BW, which the processor must have, and AVX2 otherwise.
//
// Position p is where name's last two bytes would be, with the '|' at p+2;
// there are len(s)-2 of them. Each turn of the loop looks at 64 positions:
// it compares s[p:p+64] with name's second to last byte, s[p+1:p+65] with
// its last and s[p+2:p+66] with '|', byte by byte (unaligned loads folded
// into VPCMPEQB), and tests once whether any position has all three.
// AVX-512BW does it in one vector of 64, each compare masked by the one
// before. AVX2 does it in two halves of 32, ANDs the three answers of each
// half and ORs the halves. Only in a turn with a position found does it take
// the positions out as a 64-bit mask and compare the rest of the name at
// each, first byte first. The first turn starts where s does; the next
// ones at a multiple of 64 bytes of memory, so that one of the three loads
// of a turn is aligned and two, not three, span two cache lines (on an
// input at an address that is not a multiple of 64, as the rest of a
// payload after an entry mostly is, that made the loop ~40 % faster). The last turn
// starts 64 positions before the end. The turns overlap over positions
// already looked at, none of which matched.
//
// Only VEX and EVEX instructions here: a legacy SSE instruction (MOVQ AX,
// X7) after a 256-bit one costs a state transition, measured at ~200 ns a
// call on the machine this was written on. VZEROUPPER before each RET, for
// the same reason in the code that runs after.
TEXT ·indexPHPNameWide(SB), NOSPLIT, $0-56
	MOVQ s_base+0(FP), SI
	MOVQ s_len+8(FP), DX
	MOVQ name_base+24(FP), R9
	MOVQ name_len+32(FP), R10
	MOVBLZX avx512+40(FP), R15

	MOVQ SI, DI
	LEAQ -66(SI)(DX*1), DX   // where the last turn starts: the positions end 2 bytes before s does, the last turn 64 before that
	LEAQ -2(SI)(R10*1), R11  // the first position where the name fits in s
	MOVL $0x7c, AX
	TESTQ R15, R15
	JNZ setup512

	// Y5, Y6, Y7: name's last two bytes and '|', in each of their 32 bytes.
	VPBROADCASTB -2(R9)(R10*1), Y5
	VPBROADCASTB -1(R9)(R10*1), Y6
	VMOVD AX, X7
	VPBROADCASTB X7, Y7

loop256:
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
	JNZ found256

next256:
	NEXT_TURN(loop256)

setup512:
	// Z5, Z6, Z7: name's last two bytes and '|', in each of their 64 bytes.
	VPBROADCASTB -2(R9)(R10*1), Z5
	VPBROADCASTB -1(R9)(R10*1), Z6
	VPBROADCASTB AX, Z7

loop512:
	VPCMPEQB (DI), Z5, K1
	VPCMPEQB 1(DI), Z6, K1, K1
	VPCMPEQB 2(DI), Z7, K1, K1
	KORTESTQ K1, K1
	JNZ found512

next512:
	NEXT_TURN(loop512)

none:
	VZEROUPPER
	MOVQ $-1, ret+48(FP)
	RET

found512:
	KMOVQ K1, CX
	JMP candidate

found256:
	VPMOVMSKB Y0, CX
	VPMOVMSKB Y1, AX
	SHLQ $32, AX
	ORQ AX, CX

	CHECK_CANDIDATES(match, next)

match:
	VZEROUPPER
	SUBQ SI, R13
	MOVQ R13, ret+48(FP)
	RET

next:
	TESTQ R15, R15           // back to the loop this turn came from
	JNZ next512
	JMP next256
