import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UserEntity } from './user.entity';

/** The users capability: accounts and credentials. Registration and login land here. */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity])],
})
export class UsersModule {}
