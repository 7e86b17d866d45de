import { PageQueryDto } from '@oip/platform/nest';

export class ListUsersQuery extends PageQueryDto {}
