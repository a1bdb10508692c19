// The candidate check that both of indexPHPName's vector loops
// (phpname_amd64.s, phpname_wide_amd64.s) end a turn with when it found a
// position: CX holds the positions found in the turn, one bit each, DI
// where the turn starts, SI the input, R9 and R10 the name and its length,
// R11 the first position where the name fits in the input. For each
// position, lowest first, it compares the name's bytes before its last two
// (which the loop matched, with the '|') and jumps to match with R13 where
// the name starts; with no position left it jumps to next, the loop's next
// turn. It uses AX, BX, R12 and R13, and the labels candidate, compare and
// skip.
#define CHECK_CANDIDATES(match, next) \
candidate: \
	BSFQ CX, BX; \
	LEAQ (DI)(BX*1), R12; /* where name's last two bytes are */ \
	CMPQ R12, R11; \
	JB skip; /* the name would start before s */ \
	MOVQ R12, R13; \
	SUBQ R10, R13; \
	ADDQ $2, R13; /* where the name would start */ \
	XORQ BX, BX; \
compare: \
	LEAQ 2(BX), AX; \
	CMPQ AX, R10; \
	JAE match; \
	MOVBLZX (R13)(BX*1), AX; \
	CMPB AX, (R9)(BX*1); \
	JNE skip; \
	INCQ BX; \
	JMP compare; \
skip: \
	LEAQ -1(CX), BX; \
	ANDQ BX, CX; /* the next position found, if any */ \
	JNZ candidate; \
	JMP next
