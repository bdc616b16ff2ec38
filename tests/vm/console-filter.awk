# tests/vm/console-filter.awk: turns the guest's serial console into the job's output stream.
#
# Every line (escape codes stripped) goes to the file LOG, for diagnosing failed boots.
# Only what lies between the guest-init markers is streamed to stdout, so firmware and kernel
# noise stay out of test output. Escape codes are stripped rather than lines dropped: the
# firmware leaves "Booting from ROM.." and control sequences on the guest's first line.
BEGIN { state = 0 }
{
  gsub(/\033\[[0-9;?]*[A-Za-z]/, "")
  gsub(/\033[()][A-Za-z0-9]/, "")
  gsub(/\033[A-Za-z]/, "")
  gsub(/\r/, "")
  print > LOG
  fflush(LOG)
}
state == 0 {
  if (index($0, "@@vcrun-vm-start@@")) state = 1
  next
}
state == 1 {
  # Output without a final newline shares its line with the end marker.
  i = index($0, "@@vcrun-vm-end@@")
  if (i) {
    if (i > 1) print substr($0, 1, i - 1)
    state = 2
  } else {
    print
  }
  fflush()
}
