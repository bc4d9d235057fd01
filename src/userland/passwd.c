/*
 * passwd: change the password of the encrypted file-system disk. Asks for
 * the old password and the new one twice, without echo; the file server
 * checks the old one, wraps the disk's master key under the new one with a
 * fresh salt and writes only the header in block 0 (FSREQ_PASSWD). No data
 * is re-encrypted: the master key never changes.
 */
#include <lib.h>

void umain(int argc, char **argv)
{
	struct Fsret_statfs st;
	static char old[PASSWORD_MAX], new[PASSWORD_MAX];
	int r;
	if (argc != 1) {
		printf("usage: passwd\n");
		return;
	}
	if ((r = statfs(&st)) < 0) {
		printf("passwd: %e\n", r);
		return;
	}
	if (!st.ret_encrypted) {
		printf("passwd: the disk is not encrypted (encrypt encrypts it)\n");
		return;
	}
	int oldlen = getpassword("Old password for the disk: ", old, sizeof old);
	int newlen = getnewpassword(new, sizeof new);
	r = change_disk_password(old, oldlen, new, newlen);
	password_wipe(old, sizeof old);
	password_wipe(new, sizeof new);
	if (r == -E_BAD_PASSWORD)
		printf("passwd: wrong password; the password is unchanged\n");
	else if (r < 0)
		printf("passwd: the password is unchanged: %e\n", r);
	else
		printf("passwd: password changed\n");
}
