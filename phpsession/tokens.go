package phpsession

// The bytes of PHP's serialize() format. Each value starts with a type byte;
// most continue with ':' and end with ';' or '}'.
const (
	tokNull   = 'N' // N;
	tokBool   = 'b' // b:0; b:1;
	tokInt    = 'i' // i:<int64>;
	tokFloat  = 'd' // d:<float>;
	tokString = 's' // s:<len>:"<bytes>";
	tokArray  = 'a' // a:<n>:{<key><value>...}
	tokObject = 'O' // O:<len>:"<class>":<n>:{<name><value>...}
	tokCustom = 'C' // C:<len>:"<class>":<n>:{<payload>}
	tokEnum   = 'E' // E:<len>:"<Enum>:<Case>";
	tokRef    = 'r' // r:<slot>;
	tokPHPRef = 'R' // R:<slot>;

	tokColon = ':' // after the type byte and between fields
	tokEnd   = ';' // ends a scalar, a string, an enum or a reference
	tokQuote = '"' // around string bytes and class names
	tokOpen  = '{' // opens the entries of an array or object, or a custom payload
	tokClose = '}' // closes them

	// tokSessionName ends an entry name in the php session format.
	tokSessionName = '|'
	// binNameMask masks the name length byte of the php_binary session
	// format; the high bit (PHP's PS_BIN_UNDEF) is ignored on decode.
	binNameMask = 0x7f
	// binMaxName is the longest name php_binary can store (PHP's PS_BIN_MAX).
	binMaxName = 127
)

// The text of the float specials, as PHP writes them after "d:".
const (
	floatNaN    = "NAN"
	floatInf    = "INF"
	floatNegInf = "-INF"
)
