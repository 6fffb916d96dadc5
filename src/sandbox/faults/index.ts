export {
  FaultSet,
  type ActiveFault,
  type CatalogueFaultPlan,
  type CatalogueFaults,
  type CatalogueFaultStatus,
  type FaultListener,
  type FaultReply,
  type FaultSetOptions,
  type StorageFaultQuery,
  type StorageFaults,
} from './fault-set.js';
export {
  describeFault,
  FAULT_KINDS,
  FAULT_USERS,
  faultSpecSchema,
  FaultSpecError,
  parseFaultSpec,
  LOGIN_PATHS,
  STORAGE_OPERATIONS,
  TRANSFER_FAILURE_REASONS,
  type FaultKind,
  type FaultSpec,
  type FaultSpecInput,
  type FaultUser,
  type StorageOperation,
  type TransferFailureReason,
} from './spec.js';
export { startFaultAdmin, SECRET_FILE_NAME, type FaultAdmin } from './admin.js';
export { faultClient, FaultAdminError, type FaultClient } from './client.js';
export {
  followShortCredentials,
  NORMAL_LIFETIME_SECONDS,
  writeMemberCredentials,
  type MemberCredentialFiles,
  type MemberCredentialSource,
} from './credentials.js';
