/*
 * Replay driver: runs a fuzz target over files and directories (recursively)
 * given as arguments, once per file and once more with each of a few chunk
 * sizes, so `make check` exercises every target without libFuzzer.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long nfiles;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap + 1);
	size_t n;
	while ((n = fread(buf + 1 + len, 1, cap - len, f)) > 0) {
		len += n;
		if (len == cap)
			buf = realloc(buf, (cap *= 2) + 1);
	}
	fclose(f);
	static const uint8_t chunks[] = { 1, 7, 64, 255 };
	for (size_t i = 0; i < sizeof chunks; i++) {
		buf[0] = chunks[i];
		LLVMFuzzerTestOneInput(buf, len + 1);
	}
	/* the file as the fuzzer's own corpus entry */
	LLVMFuzzerTestOneInput(buf + 1, len);
	free(buf);
	nfiles++;
	return 0;
}

static int walk(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: cannot stat %s\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		size_t n = strlen(path) + strlen(e->d_name) + 2;
		char *sub = malloc(n);
		snprintf(sub, n, "%s/%s", path, e->d_name);
		if (walk(sub) < 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	return rc;
}

int main(int argc, char **argv)
{
	int rc = 0;
	for (int i = 1; i < argc; i++)
		if (walk(argv[i]) < 0)
			rc = 1;
	printf("replayed %lu files\n", nfiles);
	return rc;
}
