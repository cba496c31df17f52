import { Body, Controller, Delete, Get, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { NotFoundError } from '@tributary/coordinator';
import { Database } from '@tributary/persistence';
import { CLOCK, Clock, DATABASE } from '@tributary/runtime';
import { Page, PageQuery, pageOf, pageWindow } from '../pagination';
import {
  API_ROLES,
  ApiPrincipal,
  ApiRole,
  ApiTokenView,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from './api-tokens';
import { Principal, Roles } from './auth.decorators';

export class CreateTokenDto {
  @ApiProperty({
    enum: API_ROLES,
    description: 'viewer reads; operator also acts; admin also manages tokens',
  })
  @IsIn(API_ROLES, { message: `role must be one of ${API_ROLES.join(', ')}` })
  role!: ApiRole;

  @ApiPropertyOptional({ description: 'who or what the token is for, e.g. "ci-deployer"' })
  @IsOptional()
  @IsString({ message: 'name must be a string, e.g. "ci-deployer"' })
  @Length(1, 200, { message: 'name must be 1 to 200 characters' })
  name?: string;
}

/** `/api/v1/auth/whoami` for everyone with a token; `/api/v1/tokens` for admins. */
@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1')
export class TokensController {
  constructor(
    @Inject(DATABASE) private readonly db: Database,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('auth/whoami')
  whoami(@Principal() principal: ApiPrincipal): ApiPrincipal {
    return principal;
  }

  /** The secret is in this answer only; the database keeps its hash. */
  @Post('tokens')
  @Roles('admin')
  async create(@Body() body: CreateTokenDto, @Principal() principal: ApiPrincipal) {
    return this.db.transaction((em) =>
      createApiToken(em, { role: body.role, name: body.name, createdBy: principal.name }, this.clock.now()),
    );
  }

  @Get('tokens')
  @Roles('admin')
  async list(@Query() query: PageQuery): Promise<Page<ApiTokenView>> {
    const window = pageWindow(query);
    const { items, total } = await listApiTokens(this.db, window);
    return pageOf(items, total, window);
  }

  @Delete('tokens/:tokenId')
  @Roles('admin')
  async revoke(@Param('tokenId') tokenId: string): Promise<ApiTokenView> {
    const revoked = await revokeApiToken(this.db, tokenId, this.clock.now());
    if (!revoked) throw new NotFoundError(`no token '${tokenId}'; list them with \`tributary tokens list\``);
    return revoked;
  }
}
