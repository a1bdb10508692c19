package phpsession

// The igbinary format (igbinary 3.2, format version 2), as PHP's igbinary
// extension writes it with igbinary_serialize() and with
// session.serialize_handler=igbinary (which serializes $_SESSION exactly as
// igbinary_serialize($_SESSION) does, the empty session included:
// 00 00 00 02 14 00).
//
// A payload is a 4-byte big-endian version header followed by one value.
// Every value starts with a type byte; lengths, counts, ids and integers
// that follow are big-endian and as narrow as the value allows.
//
// Strings, class names and enum case names share one table: the first time
// a non-empty string appears it is written in full and takes the next table
// id; later occurrences are written as string_id (or object_id for a class
// name). A top-level scalar is written without the table.
//
// Arrays, objects (including Serializable, __serialize and enum objects)
// and PHP & references to scalars and arrays take ids in a second table, in
// the order they start. A later occurrence of the same object is an objref;
// a & reference to something already written is 0x25 followed by a ref or
// objref; a copy of an array PHP shares in memory (copy-on-write) is a ref
// without 0x25. The top-level array takes id 0 and is never referenced.
// An object (or enum case) PHP first wrote without 0x25 and & referenced
// later stays out of the reference in PHP: its composite is marked igPlain
// so that it is written without 0x25 again. A copy of an array holding
// objects or references decodes as serialize() writes it (r: and R:
// inside), with the slot of the array it copies in its num, so that it is
// written as a ref again; so do the arrays inside it that hold objects or
// references, and those that hold neither are the array's own (one
// composite, as PHP shares them).
//
// This package's Value model is serialize()'s: the Ref and PHPRef kinds
// count PHP's 1-based slots (every value takes one, in order, except R:
// back-references). The igbinary codec converts between igbinary ids and
// those slots, so that igbinary and serialize() forms of one PHP value
// decode to Equal Values.

// igbinary type bytes.
const (
	igNull        = 0x00
	igRef8        = 0x01
	igRef16       = 0x02
	igRef32       = 0x03
	igFalse       = 0x04
	igTrue        = 0x05
	igLong8p      = 0x06
	igLong8n      = 0x07
	igLong16p     = 0x08
	igLong16n     = 0x09
	igLong32p     = 0x0a
	igLong32n     = 0x0b
	igDouble      = 0x0c
	igStringEmpty = 0x0d
	igStringID8   = 0x0e
	igStringID16  = 0x0f
	igStringID32  = 0x10
	igString8     = 0x11
	igString16    = 0x12
	igString32    = 0x13
	igArray8      = 0x14
	igArray16     = 0x15
	igArray32     = 0x16
	igObject8     = 0x17
	igObject16    = 0x18
	igObject32    = 0x19
	igObjectID8   = 0x1a
	igObjectID16  = 0x1b
	igObjectID32  = 0x1c
	igObjectSer8  = 0x1d
	igObjectSer16 = 0x1e
	igObjectSer32 = 0x1f
	igLong64p     = 0x20
	igLong64n     = 0x21
	igObjRef8     = 0x22
	igObjRef16    = 0x23
	igObjRef32    = 0x24
	igPHPRef      = 0x25
	igString64    = 0x26
	igEnumCase    = 0x27
)

// igVersion is the format version igbinary 2.0 and later write; version 1
// (igbinary 1.x) is read too.
const (
	igVersion   = 2
	igVersion1  = 1
	igHeaderLen = 4
)

// igMaxEncodeDepth bounds nesting on encode, which has no limits, so that
// a Value holding itself is an error rather than a stack overflow.
const igMaxEncodeDepth = 10000
