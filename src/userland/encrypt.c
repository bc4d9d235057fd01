/*
 * encrypt: encrypt the running file-system disk in place (src/fs/CRYPT.md).
 * Asks for the new password twice, without echo, and hands it to the file
 * server (FSREQ_ENCRYPT), which converts the disk with the code a boot-time
 * request runs, printing its progress, and then serves it encrypted. Every
 * later boot asks for the password.
 */
#include <lib.h>

void umain(int argc, char **argv)
{
	struct Fsret_statfs st;
	char password[PASSWORD_MAX];
	int r;
	if (argc != 1) {
		printf("usage: encrypt\n");
		return;
	}
	if ((r = statfs(&st)) < 0) {
		printf("encrypt: %e\n", r);
		return;
	}
	if (st.ret_encrypted) {
		printf("encrypt: the disk is already encrypted (passwd changes its password)\n");
		return;
	}
	int len = getnewpassword(password, sizeof password);
	r = encrypt_disk(password, len);
	password_wipe(password, sizeof password);
	if (r < 0)
		printf("encrypt: the disk was not encrypted: %e\n", r);
	else
		printf("encrypt: done; the disk asks for this password at every boot\n");
}
