// Errors of the local control plane driver: one class, a stable `code` per failure, and a message
// that says what to do next (the failing component's log tail is appended where there is one).
export type ControlPlaneErrorCode =
  | 'CONTROLPLANE_BUILD_FAILED'
  | 'CONTROLPLANE_OPENSSL_FAILED'
  | 'CONTROLPLANE_COMPONENT_EXITED'
  | 'CONTROLPLANE_PORT_IN_USE'
  | 'CONTROLPLANE_READY_TIMEOUT'
  | 'CONTROLPLANE_CRD_INSTALL_FAILED'
  | 'CONTROLPLANE_NOT_RUNNING'
  | 'CONTROLPLANE_STOP_FAILED';

export class ControlPlaneError extends Error {
  override readonly name = 'ControlPlaneError';
  constructor(
    readonly code: ControlPlaneErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
