/** Whether a process id names a running process on this machine, for telling stale files from live ones. */
export const isRunning = (pid: number): boolean => {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    // Signal 0 checks existence and permission without signalling.
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else, so it is running.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};
