/*
 * The disk cryptography (src/fs/crypto) checked inside the guest against
 * published vectors: FIPS 197 C.3 (AES-256), IEEE 1619-2007 vectors 10 and
 * 14 (XTS-AES-256, 512-byte data units), the FIPS 180-4 SHA-256 examples,
 * RFC 4231 (HMAC-SHA256) and RFC 7914 section 11 (PBKDF2-HMAC-SHA256, the
 * one-iteration case; the 80000-iteration one runs in the host test), and
 * the encrypted-disk header code (src/fs/crypt.c). One line per check, then
 * a summary; last, the time PBKDF2 takes with the iteration count a new
 * disk's header gets, and the time XTS takes over whole 4096-byte blocks,
 * as the block cache will use it.
 *
 * Large buffers are static: a user stack is one page.
 */
#include <lib.h>
#include "../fs/crypto/crypto.h"
#include "../fs/crypt.h"

static int checks, failures;

static void report(const char *what, bool ok)
{
	checks++;
	if (!ok)
		failures++;
	cprintf("cryptotest: %s: %s\n", what, ok ? "ok" : "FAILED");
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* Decode hex into out; returns the number of bytes. */
static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2)
		out[n++] = (uint8_t) (hexval(hex[0]) << 4 | hexval(hex[1]));
	return n;
}

static bool equals_hex(const uint8_t *bytes, const char *hex)
{
	static uint8_t expected[1024];
	size_t n = unhex(hex, expected);
	return memcmp(bytes, expected, n) == 0;
}

static void check_aes(void)
{
	static struct aes256 aes;
	uint8_t key[32], block[16];
	unhex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", key);
	unhex("00112233445566778899aabbccddeeff", block);
	aes256_init(&aes, key);
	aes256_encrypt(&aes, block, block);
	report("AES-256 FIPS 197 C.3 encrypt", equals_hex(block, "8ea2b7ca516745bfeafc49904b496089"));
	aes256_decrypt(&aes, block, block);
	report("AES-256 FIPS 197 C.3 decrypt", equals_hex(block, "00112233445566778899aabbccddeeff"));
}

static const char xts_vector10[] =
	"1c3b3a102f770386e4836c99e370cf9bea00803f5e482357a4ae12d414a3e63b5d31e276f8fe4a8d66b317f9ac683f44680a86ac35adfc3345befecb4bb188fd"
	"5776926c49a3095eb108fd1098baec70aaa66999a72a82f27d848b21d4a741b0c5cd4d5fff9dac89aeba122961d03a757123e9870f8acf1000020887891429ca"
	"2a3e7a7d7df7b10355165c8b9a6d0a7de8b062c4500dc4cd120c0f7418dae3d0b5781c34803fa75421c790dfe1de1834f280d7667b327f6c8cd7557e12ac3a0f"
	"93ec05c52e0493ef31a12d3d9260f79a289d6a379bc70c50841473d1a8cc81ec583e9645e07b8d9670655ba5bbcfecc6dc3966380ad8fecb17b6ba02469a020a"
	"84e18e8f84252070c13e9f1f289be54fbc481457778f616015e1327a02b140f1505eb309326d68378f8374595c849d84f4c333ec4423885143cb47bd71c5edae"
	"9be69a2ffeceb1bec9de244fbe15992b11b77c040f12bd8f6a975a44a0f90c29a9abc3d4d893927284c58754cce294529f8614dcd2aba991925fedc4ae74ffac"
	"6e333b93eb4aff0479da9a410e4450e0dd7ae4c6e2910900575da401fc07059f645e8b7e9bfdef33943054ff84011493c27b3429eaedb4ed5376441a77ed4385"
	"1ad77f16f541dfd269d50d6a5f14fb0aab1cbb4c1550be97f7ab4066193c4caa773dad38014bd2092fa755c824bb5e54c4f36ffda9fcea70b9c6e693e148c151";

static const char xts_vector14[] =
	"64497e5a831e4a932c09be3e5393376daa599548b816031d224bbf50a818ed2350eae7e96087c8a0db51ad290bd00c1ac1620857635bf246c176ab463be30b80"
	"8da548081ac847b158e1264be25bb0910bbc92647108089415d45fab1b3d2604e8a8eff1ae4020cfa39936b66827b23f371b92200be90251e6d73c5f86de5fd4"
	"a950781933d79a28272b782a2ec313efdfcc0628f43d744c2dc2ff3dcb66999b50c7ca895b0c64791eeaa5f29499fb1c026f84ce5b5c72ba1083cddb5ce45434"
	"631665c333b60b11593fb253c5179a2c8db813782a004856a1653011e93fb6d876c18366dd8683f53412c0c180f9c848592d593f8609ca736317d356e13e2bff"
	"3a9f59cd9aeb19cd482593d8c46128bb32423b37a9adfb482b99453fbe25a41bf6feb4aa0bef5ed24bf73c762978025482c13115e4015aac992e5613a3b5c2f6"
	"85b84795cb6e9b2656d8c88157e52c42f978d8634c43d06fea928f2822e465aa6576e9bf419384506cc3ce3c54ac1a6f67dc66f3b30191e698380bc999b05abc"
	"e19dc0c6dcc2dd001ec535ba18deb2df1a101023108318c75dc98611a09dc48a0acdec676fabdf222f07e026f059b672b56e5cbc8e1d21bbd867dd9272120546"
	"81d70ea737134cdfce93b6f82ae22423274e58a0821cc5502e2d0ab4585e94de6975be5e0b4efce51cd3e70c25a1fbbbd609d273ad5b0d59631c531f6a0a57b9";

static void check_xts_vector(const char *name, uint64_t unit, const char *ciphertext)
{
	static struct xts xts;
	static uint8_t key[64], unit_data[512];
	char what[64];
	unhex("2718281828459045235360287471352662497757247093699959574966967627"
	      "3141592653589793238462643383279502884197169399375105820974944592", key);
	xts_init(&xts, key);
	for (int k = 0; k < 512; k++)
		unit_data[k] = (uint8_t) k;
	xts_encrypt(&xts, unit, unit_data, sizeof unit_data);
	snprintf(what, sizeof what, "XTS-AES-256 IEEE 1619 %s encrypt", name);
	report(what, equals_hex(unit_data, ciphertext));
	xts_decrypt(&xts, unit, unit_data, sizeof unit_data);
	bool ok = true;
	for (int k = 0; k < 512; k++)
		ok = ok && unit_data[k] == (uint8_t) k;
	snprintf(what, sizeof what, "XTS-AES-256 IEEE 1619 %s decrypt", name);
	report(what, ok);
}

static void check_sha256(void)
{
	static uint8_t million_a[1000];
	struct sha256 sha;
	uint8_t digest[SHA256_SIZE];
	sha256("", 0, digest);
	report("SHA-256 empty message", equals_hex(digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	sha256("abc", 3, digest);
	report("SHA-256 \"abc\"", equals_hex(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	sha256(m448, strlen(m448), digest);
	report("SHA-256 448-bit message", equals_hex(digest, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	const char *m896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
	sha256(m896, strlen(m896), digest);
	report("SHA-256 896-bit message", equals_hex(digest, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"));
	memset(million_a, 'a', sizeof million_a);
	sha256_init(&sha);
	for (int k = 0; k < 1000; k++)
		sha256_update(&sha, million_a, sizeof million_a);
	sha256_final(&sha, digest);
	report("SHA-256 one million 'a'", equals_hex(digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

static void check_hmac(void)
{
	static uint8_t key[131], data[160];
	uint8_t mac[SHA256_SIZE];
	memset(key, 0x0b, 20);
	hmac_sha256(key, 20, "Hi There", 8, mac);
	report("HMAC-SHA256 RFC 4231 case 1", equals_hex(mac, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"));
	hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	report("HMAC-SHA256 RFC 4231 case 2", equals_hex(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"));
	memset(key, 0xaa, 20);
	memset(data, 0xdd, 50);
	hmac_sha256(key, 20, data, 50, mac);
	report("HMAC-SHA256 RFC 4231 case 3", equals_hex(mac, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"));
	unhex("0102030405060708090a0b0c0d0e0f10111213141516171819", key);
	memset(data, 0xcd, 50);
	hmac_sha256(key, 25, data, 50, mac);
	report("HMAC-SHA256 RFC 4231 case 4", equals_hex(mac, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"));
	memset(key, 0x0c, 20);
	hmac_sha256(key, 20, "Test With Truncation", 20, mac);
	report("HMAC-SHA256 RFC 4231 case 5 (128 bits)", equals_hex(mac, "a3b6167473100ee06e0c796c2955552b"));
	memset(key, 0xaa, 131);
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	hmac_sha256(key, 131, m6, strlen(m6), mac);
	report("HMAC-SHA256 RFC 4231 case 6", equals_hex(mac, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"));
	const char *m7 = "This is a test using a larger than block-size key and a larger than block-size data. "
			 "The key needs to be hashed before being used by the HMAC algorithm.";
	hmac_sha256(key, 131, m7, strlen(m7), mac);
	report("HMAC-SHA256 RFC 4231 case 7", equals_hex(mac, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"));
}

static void check_pbkdf2(void)
{
	uint8_t derived[64];
	pbkdf2_hmac_sha256("passwd", 6, "salt", 4, 1, derived, 64);
	report("PBKDF2-HMAC-SHA256 RFC 7914 11 (c=1)",
	       equals_hex(derived, "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
				   "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"));
}

/*
 * The header code the file server unlocks a disk with (src/fs/crypt.c): a
 * header made here checks out and unlocks with its password only, and a
 * flipped byte makes it corrupt. A small iteration count keeps this quick;
 * time_pbkdf2 measures the real one.
 */
static void check_header(void)
{
	static struct CryptHeader header;
	uint8_t master[CRYPT_KEY_SIZE], salt[CRYPT_SALT_SIZE], unlocked[CRYPT_KEY_SIZE];
	for (int k = 0; k < CRYPT_KEY_SIZE; k++)
		master[k] = (uint8_t) (k * 13 + 5);
	memset(salt, 0xA5, sizeof salt);
	crypt_header_init(&header, 1024, 10, master, salt, "let me in", 9);
	report("crypt.c header made, checks out", crypt_header_check(&header) == CRYPT_OK);
	report("crypt.c right password unlocks the master key",
	       crypt_unlock(&header, "let me in", 9, unlocked) == CRYPT_OK && memcmp(unlocked, master, sizeof master) == 0);
	report("crypt.c wrong password refused", crypt_unlock(&header, "let me out", 10, unlocked) == CRYPT_E_PASSWORD);
	header.ch_salt[3] ^= 1;
	report("crypt.c flipped byte: header corrupt", crypt_header_check(&header) == CRYPT_E_CORRUPT);
}

/* What unlocking a disk costs: PBKDF2 with the default iteration count, 64 bytes out. */
static void time_pbkdf2(void)
{
	uint8_t salt[CRYPT_SALT_SIZE], derived[CRYPT_KEK_SIZE];
	memset(salt, 0x5a, sizeof salt);
	unsigned start = sys_time();
	pbkdf2_hmac_sha256("correct horse", 13, salt, sizeof salt, CRYPT_DEFAULT_ITERATIONS, derived, sizeof derived);
	unsigned ticks = sys_time() - start;
	cprintf("cryptotest: PBKDF2 with %d iterations, %d bytes: %u ticks (%u ms of guest time)\n",
		CRYPT_DEFAULT_ITERATIONS, CRYPT_KEK_SIZE, ticks, ticks * 10);
}

/* What the block cache pays: XTS over whole 4096-byte blocks. */
static void time_xts(void)
{
	enum { BLOCKS = 32, BLOCK_SIZE = 4096 };
	static struct xts xts;
	static uint8_t key[64], block[BLOCK_SIZE];
	for (int k = 0; k < 64; k++)
		key[k] = (uint8_t) (k * 7 + 1);
	xts_init(&xts, key);
	unsigned start = sys_time();
	for (int b = 0; b < BLOCKS; b++)
		xts_encrypt(&xts, b, block, sizeof block);
	unsigned encrypting = sys_time() - start;
	start = sys_time();
	for (int b = BLOCKS - 1; b >= 0; b--)
		xts_decrypt(&xts, b, block, sizeof block);
	unsigned decrypting = sys_time() - start;
	bool ok = true;
	for (int k = 0; k < BLOCK_SIZE; k++)
		ok = ok && block[k] == 0;
	cprintf("cryptotest: XTS-AES-256 on %d blocks of %d bytes: encrypt %u ticks, decrypt %u ticks, round trip %s\n",
		BLOCKS, BLOCK_SIZE, encrypting, decrypting, ok ? "ok" : "FAILED");
}

void umain(int argc, char **argv)
{
	check_aes();
	check_xts_vector("vector 10", 0xFF, xts_vector10);
	check_xts_vector("vector 14", 0xFFFFFFFFFFull, xts_vector14);
	check_sha256();
	check_hmac();
	check_pbkdf2();
	check_header();
	cprintf("cryptotest: %d of %d checks passed\n", checks - failures, checks);
	time_pbkdf2();
	time_xts();
}
