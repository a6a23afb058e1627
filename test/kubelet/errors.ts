// Errors of the test kubelet: one class with a stable `code` per failure and a message a person can
// act on. Container-level failures carry the waiting/terminated reason the real kubelet would report.
export type KubeletErrorCode =
  | 'KUBELET_IMAGE_UNKNOWN'
  | 'KUBELET_COMMAND_UNKNOWN'
  | 'KUBELET_CONFIG_MISSING'
  | 'KUBELET_UNSUPPORTED'
  | 'KUBELET_BAD_OPTIONS'
  | 'KUBELET_API_FAILED';

export class KubeletError extends Error {
  override readonly name = 'KubeletError';
  constructor(
    readonly code: KubeletErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
