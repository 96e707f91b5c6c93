/*
 * Exact opener tracking for Baton's "one opener" guarantee (compiled at test time by
 * test/helpers/opener-tracker.ts; never committed as a binary; needs root for fanotify).
 *
 * usage: opener-tracker [--writers] <directory> <sync name> <database name> <name>...
 *
 * Watches every open and close of the named files in <directory> (the database, its -wal and
 * its -shm) with fanotify. Opens arrive as permission events (FAN_OPEN_PERM): the opening
 * process waits in the kernel until this program answers, and the kernel never merges
 * permission events, so every open is seen, in order, before the opener holds the file.
 * Before allowing an open by process P it asks /proc whether any other process that opened a
 * watched file still holds one (a descriptor or a mapping): if so, two processes would hold
 * the files at once, and it prints OVERLAP. Nothing can slip between that check and the answer:
 * another process's open would itself wait for this program, which handles one event at a time.
 *
 * With --writers it checks "one writer" instead (the mode of members that read the file
 * themselves): only opens of the database file itself for writing count. Before allowing such an
 * open it asks /proc whether any other process holds the database file open for writing (an
 * fdinfo whose access mode is not O_RDONLY), and prints OVERLAP if so. How the pending open asks
 * for the file is read from the opening thread's /proc/<tid>/syscall (the open events name the
 * thread): the opener sleeps inside openat, whose flags argument is there, until answered. (The
 * -wal is opened read-write by every SQLite connection, readers included, which never write to
 * it; writes are the leader's alone.)
 *
 * Output, one line per event, flushed at once (times: CLOCK_REALTIME in microseconds):
 *   READY
 *   OPEN <us> <pid> <name> <w if the open asks for writing, else r>
 *   CLOSE <us> <pid> <name> <1 if the process still holds a watched file, else 0>
 *   OVERLAP <us> <pid> <name> <pid of the process that still held a watched file>
 *   OVERFLOW <us>            (events were lost: the run proves nothing)
 *   SYNC <us>                (someone opened <sync name>: every event before that open is printed)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOLDERS 4096
#define MAX_NAMES 16

static char watched[MAX_NAMES][PATH_MAX + NAME_MAX + 2];
static int watched_count;
static char sync_path[PATH_MAX + NAME_MAX + 2];
static int holders[MAX_HOLDERS];
static int holder_count;
static int writers_only;

static long long now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* The index of the watched file `target` names ("(deleted)" stripped), or -1. */
static int watched_index(const char *target) {
  char clean[PATH_MAX];
  snprintf(clean, sizeof clean, "%s", target);
  size_t len = strlen(clean);
  const char *deleted = " (deleted)";
  size_t dlen = strlen(deleted);
  if (len > dlen && strcmp(clean + len - dlen, deleted) == 0) clean[len - dlen] = '\0';
  for (int i = 0; i < watched_count; i++)
    if (strcmp(clean, watched[i]) == 0) return i;
  return -1;
}

/* Whether descriptor `fd` of process `pid` was opened for writing (its fdinfo's access mode). */
static int fd_writable(int pid, const char *fd) {
  char info_path[PATH_MAX];
  snprintf(info_path, sizeof info_path, "/proc/%d/fdinfo/%s", pid, fd);
  FILE *info = fopen(info_path, "r");
  if (info == NULL) return 0;
  char line[256];
  int writable = 0;
  while (fgets(line, sizeof line, info) != NULL) {
    unsigned long flags;
    if (sscanf(line, "flags: %lo", &flags) == 1) {
      writable = (flags & O_ACCMODE) != O_RDONLY;
      break;
    }
  }
  fclose(info);
  return writable;
}

/*
 * True while process `pid` has a descriptor of a watched file: any of them (`database_only` 0),
 * or the database file itself (the first watched name) opened for writing (`database_only` 1).
 */
static int holds_descriptor(int pid, int database_only) {
  char dir_path[64];
  snprintf(dir_path, sizeof dir_path, "/proc/%d/fd", pid);
  DIR *dir = opendir(dir_path);
  if (dir == NULL) return 0;
  int found = 0;
  struct dirent *entry;
  while (!found && (entry = readdir(dir)) != NULL) {
    if (entry->d_name[0] == '.') continue;
    char link[PATH_MAX], target[PATH_MAX];
    snprintf(link, sizeof link, "%s/%s", dir_path, entry->d_name);
    ssize_t n = readlink(link, target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    int index = watched_index(target);
    found = database_only ? index == 0 && fd_writable(pid, entry->d_name) : index >= 0;
  }
  closedir(dir);
  return found;
}

/* True while process `pid` has a descriptor or a mapping of a watched file. */
static int still_holds(int pid) {
  if (holds_descriptor(pid, 0)) return 1;
  char maps_path[64];
  snprintf(maps_path, sizeof maps_path, "/proc/%d/maps", pid);
  FILE *maps = fopen(maps_path, "r");
  if (maps == NULL) return 0;
  char line[PATH_MAX + 256];
  int found = 0;
  while (!found && fgets(line, sizeof line, maps) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    char *slash = strchr(line, '/');
    if (slash != NULL && watched_index(slash) >= 0) found = 1;
  }
  fclose(maps);
  return found;
}

/* True while process `pid` holds the database file (the first watched name) open for writing. */
static int holds_for_writing(int pid) { return holds_descriptor(pid, 1); }

/* The process (thread group) of thread `tid`, from /proc/<tid>/status; `tid` itself if unreadable. */
static int process_of(int tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/status", tid);
  FILE *status = fopen(path, "r");
  if (status == NULL) return tid;
  char line[256];
  int tgid = tid;
  while (fgets(line, sizeof line, status) != NULL)
    if (sscanf(line, "Tgid: %d", &tgid) == 1) break;
  fclose(status);
  return tgid;
}

/*
 * True when the pending open by thread `tid` (the one this permission event is about) asks for
 * write access. The opener queues the event, then sleeps in its open call until answered; its
 * /proc/<tid>/syscall shows the call and its flags once it sleeps, and "running" until then, so
 * look again until it does (at most 200 ms). A call that cannot be read (openat2, whose flags
 * are behind a pointer; another architecture; a thread still running after 200 ms) counts as
 * writing: a doubt can raise a false alarm, never hide a second writer.
 */
static int opening_for_writing(int tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/syscall", tid);
  for (int attempt = 0; attempt < 2000; attempt++) {
    FILE *file = fopen(path, "r");
    if (file == NULL) return 1;
    char line[512];
    char *got = fgets(line, sizeof line, file);
    fclose(file);
    if (got == NULL) return 1;
    if (strncmp(line, "running", 7) != 0) {
      long nr = -1;
      unsigned long args[3] = {0, 0, 0};
      int fields = sscanf(line, "%ld %lx %lx %lx", &nr, &args[0], &args[1], &args[2]);
#if defined(__x86_64__)
      if (nr == 257 && fields == 4) return (args[2] & O_ACCMODE) != O_RDONLY; /* openat */
      if (nr == 2 && fields >= 3) return (args[1] & O_ACCMODE) != O_RDONLY;   /* open */
#elif defined(__aarch64__)
      if (nr == 56 && fields == 4) return (args[2] & O_ACCMODE) != O_RDONLY; /* openat */
#endif
      return 1;
    }
    struct timespec pause = {0, 100000};
    nanosleep(&pause, NULL);
  }
  return 1;
}

static void forget_holder(int index) { holders[index] = holders[--holder_count]; }

static void add_holder(int pid) {
  for (int i = 0; i < holder_count; i++)
    if (holders[i] == pid) return;
  if (holder_count < MAX_HOLDERS) holders[holder_count++] = pid;
}

static void on_open(int tid, const char *name, int index) {
  int pid = process_of(tid);
  int writing = opening_for_writing(tid);
  /* One writer: only an open of the database file for writing can make a second one. */
  int check = !writers_only || (index == 0 && writing);
  for (int i = 0; i < holder_count;) {
    int other = holders[i];
    if (other == pid) {
      i++;
    } else if (!still_holds(other)) {
      forget_holder(i);
    } else if (check && (!writers_only || holds_for_writing(other))) {
      printf("OVERLAP %lld %d %s %d\n", now_us(), pid, name, other);
      i++;
    } else {
      i++;
    }
  }
  add_holder(pid);
  printf("OPEN %lld %d %s %c\n", now_us(), pid, name, writing ? 'w' : 'r');
}

static void on_close(int pid, const char *name) {
  int holds = still_holds(pid);
  if (!holds)
    for (int i = 0; i < holder_count; i++)
      if (holders[i] == pid) forget_holder(i);
  printf("CLOSE %lld %d %s %d\n", now_us(), pid, name, holds);
}

/* Which watched file (its name and index) or the sync file the event's descriptor is. */
static void event_target(int fd, const char **name, int *index, int *is_sync) {
  char link[64], target[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  target[n > 0 ? n : 0] = '\0';
  *index = n > 0 ? watched_index(target) : -1;
  *name = *index >= 0 ? strrchr(watched[*index], '/') + 1 : NULL;
  *is_sync = n > 0 && strcmp(target, sync_path) == 0;
}

/* Handles every close event queued so far. Returns -1 on a read error. */
static int drain_closes(int closes) {
  char buffer[65536] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  for (;;) {
    ssize_t length = read(closes, buffer, sizeof buffer);
    if (length < 0) {
      if (errno == EAGAIN) return 0;
      if (errno == EINTR) continue;
      perror("read");
      return -1;
    }
    struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buffer;
    for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length)) {
      if (event->mask & FAN_Q_OVERFLOW) {
        printf("OVERFLOW %lld\n", now_us());
        continue;
      }
      const char *name = NULL;
      int index = -1;
      int is_sync = 0;
      event_target(event->fd, &name, &index, &is_sync);
      if (name != NULL) on_close(event->pid, name);
      close(event->fd);
    }
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--writers") == 0) {
    writers_only = 1;
    argv++;
    argc--;
  }
  if (argc < 4 || argc - 3 > MAX_NAMES) {
    fprintf(stderr, "usage: opener-tracker [--writers] <directory> <sync name> <database name> <name>... (at most %d names)\n", MAX_NAMES);
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  char dir[PATH_MAX];
  if (realpath(argv[1], dir) == NULL) {
    perror("realpath");
    return 2;
  }
  snprintf(sync_path, sizeof sync_path, "%s/%s", dir, argv[2]);
  for (int i = 3; i < argc; i++) snprintf(watched[watched_count++], sizeof watched[0], "%s/%s", dir, argv[i]);

  /*
   * Two groups. Opens arrive as permission events that name the opening thread (FAN_REPORT_TID),
   * whose pending call shows how it opens the file. Closes come through a second group that names
   * the process, since a closing thread may be gone before its event is read. Every close that
   * happened before an open was queued before that open's event: the close group is drained
   * before each open is handled, so events are printed in the order they happened.
   */
  int opens = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC | FAN_UNLIMITED_QUEUE | FAN_REPORT_TID,
                            O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  int closes = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_UNLIMITED_QUEUE,
                             O_RDONLY | O_LARGEFILE | O_CLOEXEC);
  if (opens < 0 || closes < 0) {
    perror("fanotify_init");
    return 3;
  }
  if (fanotify_mark(opens, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) < 0 ||
      fanotify_mark(closes, FAN_MARK_ADD, FAN_CLOSE | FAN_EVENT_ON_CHILD, AT_FDCWD, dir) < 0) {
    perror("fanotify_mark");
    return 3;
  }
  printf("READY\n");

  char buffer[65536] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
  struct pollfd fds[2] = {{.fd = opens, .events = POLLIN}, {.fd = closes, .events = POLLIN}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      perror("poll");
      return 3;
    }
    if (drain_closes(closes) < 0) return 3;
    if (!(fds[0].revents & POLLIN)) continue;
    ssize_t length = read(opens, buffer, sizeof buffer);
    if (length < 0) {
      if (errno == EINTR) continue;
      perror("read");
      return 3;
    }
    struct fanotify_event_metadata *event = (struct fanotify_event_metadata *)buffer;
    for (; FAN_EVENT_OK(event, length); event = FAN_EVENT_NEXT(event, length)) {
      if (event->vers != FANOTIFY_METADATA_VERSION) {
        fprintf(stderr, "opener-tracker: fanotify metadata version mismatch\n");
        return 3;
      }
      if (event->mask & FAN_Q_OVERFLOW) {
        printf("OVERFLOW %lld\n", now_us());
        continue;
      }
      if (drain_closes(closes) < 0) return 3;
      const char *name = NULL;
      int index = -1;
      int is_sync = 0;
      event_target(event->fd, &name, &index, &is_sync);
      if (name != NULL) on_open(event->pid, name, index);
      else if (is_sync) printf("SYNC %lld\n", now_us());
      struct fanotify_response response = {.fd = event->fd, .response = FAN_ALLOW};
      if (write(opens, &response, sizeof response) < 0) perror("write response");
      close(event->fd);
    }
  }
}
